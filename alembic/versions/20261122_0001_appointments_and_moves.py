"""Appointments and the history of their moves.

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen here rather than imported: a migration must keep meaning what it meant when written.
STATUSES = "'SCHEDULED', 'CHECKED_IN', 'IN_PROGRESS', 'READY', 'COMPLETED', 'CANCELLED'"


# What the downgrade deletes, each counted on the database before it runs (alembic/env.py refuses while any is there).
DOWNGRADE_LOSES = {
    "cards": "SELECT count(*) FROM appointments",
    "moves": "SELECT count(*) FROM appointment_moves",
}


def upgrade() -> None:
    op.create_table(
        "appointments",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=True), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("customer", sa.Text(), nullable=False),
        sa.Column("scheduled_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.Text(), server_default="SCHEDULED", nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appointments")),
        sa.CheckConstraint(f"status IN ({STATUSES})", name=op.f("ck_appointments_status")),
        sa.CheckConstraint("version >= 1", name=op.f("ck_appointments_version_positive")),
        sa.CheckConstraint("char_length(title) BETWEEN 1 AND 200", name=op.f("ck_appointments_title_length")),
        sa.CheckConstraint("char_length(customer) BETWEEN 1 AND 200", name=op.f("ck_appointments_customer_length")),
    )
    op.create_index(op.f("ix_appointments_scheduled_at_id"), "appointments", ["scheduled_at", "id"])
    op.create_table(
        "appointment_moves",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=True), nullable=False),
        sa.Column("appointment_id", sa.BigInteger(), nullable=False),
        sa.Column("from_status", sa.Text(), nullable=False),
        sa.Column("to_status", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("moved_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appointment_moves")),
        sa.ForeignKeyConstraint(
            ["appointment_id"],
            ["appointments.id"],
            name=op.f("fk_appointment_moves_appointment_id_appointments"),
            ondelete="CASCADE",
        ),
        sa.UniqueConstraint("appointment_id", "version", name=op.f("uq_appointment_moves_appointment_id_version")),
        sa.CheckConstraint(f"from_status IN ({STATUSES})", name=op.f("ck_appointment_moves_from_status")),
        sa.CheckConstraint(f"to_status IN ({STATUSES})", name=op.f("ck_appointment_moves_to_status")),
    )


def downgrade() -> None:
    op.drop_table("appointment_moves")
    op.drop_index(op.f("ix_appointments_scheduled_at_id"), table_name="appointments")
    op.drop_table("appointments")
