"""Tables of the board: appointments and the history of their moves."""

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    MetaData,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

STATUSES = ("SCHEDULED", "CHECKED_IN", "IN_PROGRESS", "READY", "COMPLETED", "CANCELLED")
"""Every status an appointment can have, in the order of the board's columns."""

INITIAL_STATUS = STATUSES[0]
TEXT_MAX_LENGTH = 200
VERSION_MAX = 2**63 - 1
ID_MAX = 2**63 - 1

_STATUS_LIST_SQL = ", ".join(f"'{status}'" for status in STATUSES)


class Base(DeclarativeBase):
    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(table_name)s_%(column_0_N_name)s",
            "uq": "uq_%(table_name)s_%(column_0_N_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )


class Appointment(Base):
    __tablename__ = "appointments"

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=True), primary_key=True)
    title: Mapped[str] = mapped_column(Text)
    customer: Mapped[str] = mapped_column(Text)
    scheduled_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(Text, server_default=INITIAL_STATUS)
    version: Mapped[int] = mapped_column(BigInteger, server_default="1")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    __table_args__ = (
        CheckConstraint(f"status IN ({_STATUS_LIST_SQL})", name="status"),
        CheckConstraint("version >= 1", name="version_positive"),
        CheckConstraint(f"char_length(title) BETWEEN 1 AND {TEXT_MAX_LENGTH}", name="title_length"),
        CheckConstraint(f"char_length(customer) BETWEEN 1 AND {TEXT_MAX_LENGTH}", name="customer_length"),
        # Serves the board: a range of scheduled_at, ordered by scheduled_at then id.
        Index(None, "scheduled_at", "id"),
    )


class AppointmentMove(Base):
    __tablename__ = "appointment_moves"

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=True), primary_key=True)
    appointment_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("appointments.id", ondelete="CASCADE")
    )
    from_status: Mapped[str] = mapped_column(Text)
    to_status: Mapped[str] = mapped_column(Text)
    version: Mapped[int] = mapped_column(BigInteger)
    moved_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    __table_args__ = (
        CheckConstraint(f"from_status IN ({_STATUS_LIST_SQL})", name="from_status"),
        CheckConstraint(f"to_status IN ({_STATUS_LIST_SQL})", name="to_status"),
        # One history row per version: the database itself refuses a doubled move.
        # It also serves the history query (one card, ordered by version).
        UniqueConstraint("appointment_id", "version"),
    )
