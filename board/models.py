"""Tables of the board: appointments, the events of their history, and the people and scripts who make them."""

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    ForeignKeyConstraint,
    Identity,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Text,
    UniqueConstraint,
    false,
    func,
    text,
    true,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

STATUSES = ("SCHEDULED", "CHECKED_IN", "IN_PROGRESS", "READY", "COMPLETED", "CANCELLED")
"""Every status an appointment can have, in the order of the board's columns."""

INITIAL_STATUS = STATUSES[0]

ROLES = ("viewer", "staff", "admin")
"""Every role, weakest first: each role may do all that the ones before it may."""
TEXT_MAX_LENGTH = 200
NOTES_MAX_LENGTH = 2000
EVENT_KINDS = ("created", "moved", "edited", "deleted")
VERSION_MAX = 2**63 - 1
ID_MAX = 2**63 - 1

_STATUS_LIST_SQL = ", ".join(f"'{status}'" for status in STATUSES)
_ROLE_LIST_SQL = ", ".join(f"'{role}'" for role in ROLES)
_EVENT_KIND_LIST_SQL = ", ".join(f"'{kind}'" for kind in EVENT_KINDS)


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


# The transaction's shop (board.db sets it): rows are inserted without naming their shop, and
# an insert with no shop set fails NOT NULL. Missing or '' reads as NULL, which no policy matches.
CURRENT_SHOP_SQL = "nullif(current_setting('board.shop_id', true), '')::bigint"


def shop_id_column() -> Mapped[int]:
    """The shop a row belongs to; first in every key, so no row can point at another shop's row."""
    return mapped_column(BigInteger, ForeignKey("shops.id"), primary_key=True, server_default=text(CURRENT_SHOP_SQL))


class Shop(Base):
    """A shop with its own board, people and time zone; every other table's rows belong to one."""

    __tablename__ = "shops"

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=True), primary_key=True)
    slug: Mapped[str] = mapped_column(Text, unique=True)
    name: Mapped[str] = mapped_column(Text)
    timezone: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    # The shop's change sequence: the seq of its last event (see board.appointments.changes.with_event).
    last_seq: Mapped[int] = mapped_column(BigInteger, server_default="0")

    __table_args__ = (
        CheckConstraint("slug ~ '^[a-z0-9-]{1,64}$'", name="slug_format"),
        CheckConstraint(f"char_length(name) BETWEEN 1 AND {TEXT_MAX_LENGTH}", name="name_length"),
    )


class Appointment(Base):
    __tablename__ = "appointments"

    shop_id: Mapped[int] = shop_id_column()
    id: Mapped[int] = mapped_column(BigInteger, Identity(always=True), primary_key=True)
    title: Mapped[str] = mapped_column(Text)
    customer: Mapped[str] = mapped_column(Text)
    scheduled_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(Text, server_default=INITIAL_STATUS)
    version: Mapped[int] = mapped_column(BigInteger, server_default="1")
    notes: Mapped[str] = mapped_column(Text, server_default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    # When the card entered its status: the move that put it there, or its creation.
    status_since: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    # A deleted card keeps its row, so its history stays readable; nothing else sees it.
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The card's JSON text around its customer and notes, written by a trigger at every write (migration 0014):
    # what the board is read from (board.appointments.cards). Never set by the service.
    card_head: Mapped[str] = mapped_column(Text, deferred=True)
    card_mid: Mapped[str] = mapped_column(Text, deferred=True)
    card_tail: Mapped[str] = mapped_column(Text, deferred=True)

    __table_args__ = (
        CheckConstraint(f"status IN ({_STATUS_LIST_SQL})", name="status"),
        CheckConstraint("version >= 1", name="version_positive"),
        CheckConstraint(f"char_length(title) BETWEEN 1 AND {TEXT_MAX_LENGTH}", name="title_length"),
        CheckConstraint(f"char_length(customer) BETWEEN 1 AND {TEXT_MAX_LENGTH}", name="customer_length"),
        CheckConstraint(f"char_length(notes) <= {NOTES_MAX_LENGTH}", name="notes_length"),
        # Serves the board: one shop's range of scheduled_at, ordered by scheduled_at then id.
        Index(None, "shop_id", "scheduled_at", "id"),
    )


class AppointmentEvent(Base):
    """One thing that happened to a card: its whole story is one event per version, oldest first."""

    __tablename__ = "appointment_events"

    shop_id: Mapped[int] = shop_id_column()
    id: Mapped[int] = mapped_column(BigInteger, Identity(always=True), primary_key=True)
    appointment_id: Mapped[int] = mapped_column(BigInteger)
    version: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(Text)
    # A move's columns, and an edit's {field: {"from": old, "to": new}}.
    from_status: Mapped[str | None] = mapped_column(Text)
    to_status: Mapped[str | None] = mapped_column(Text)
    changes: Mapped[dict | None] = mapped_column(JSONB)
    # Who made it; NULL for events from before accounts existed.
    by_user_id: Mapped[int | None] = mapped_column(BigInteger)
    by_token_id: Mapped[int | None] = mapped_column(BigInteger)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    # The shop's change sequence number: one per change, in commit order, no gaps.
    seq: Mapped[int] = mapped_column(BigInteger)
    # The card at this version, as the event stream sends it (NULL for events from before 0008).
    card: Mapped[dict | None] = mapped_column(JSONB)

    __table_args__ = (
        CheckConstraint(f"kind IN ({_EVENT_KIND_LIST_SQL})", name="kind"),
        # Serves the stream's replay: one shop's events after n, in order.
        UniqueConstraint("shop_id", "seq"),
        CheckConstraint(f"from_status IN ({_STATUS_LIST_SQL})", name="from_status"),
        CheckConstraint(f"to_status IN ({_STATUS_LIST_SQL})", name="to_status"),
        CheckConstraint(
            "kind <> 'moved' OR (from_status IS NOT NULL AND to_status IS NOT NULL)", name="move_has_statuses"
        ),
        # One event per version: the database itself refuses a doubled change. It also serves
        # the history query (one card, ordered by version).
        UniqueConstraint("shop_id", "appointment_id", "version"),
        ForeignKeyConstraint(
            ["shop_id", "appointment_id"], ["appointments.shop_id", "appointments.id"], ondelete="CASCADE"
        ),
        ForeignKeyConstraint(["shop_id", "by_user_id"], ["users.shop_id", "users.id"]),
        ForeignKeyConstraint(["shop_id", "by_token_id"], ["api_tokens.shop_id", "api_tokens.id"]),
    )


class User(Base):
    __tablename__ = "users"

    shop_id: Mapped[int] = shop_id_column()
    id: Mapped[int] = mapped_column(BigInteger, Identity(always=True), primary_key=True)
    username: Mapped[str] = mapped_column(Text)
    name: Mapped[str] = mapped_column(Text)
    role: Mapped[str] = mapped_column(Text)
    password_hash: Mapped[str] = mapped_column(Text)
    disabled: Mapped[bool] = mapped_column(Boolean, server_default=false())
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    __table_args__ = (
        CheckConstraint(f"role IN ({_ROLE_LIST_SQL})", name="role"),
        CheckConstraint("username ~ '^[A-Za-z0-9._-]{1,64}$'", name="username_format"),
        CheckConstraint(f"char_length(name) BETWEEN 1 AND {TEXT_MAX_LENGTH}", name="name_length"),
        # Unique ignoring case: "Ana" and "ana" are one person. Unique across the service, so that
        # signing in needs no shop (a distributed database would keep users as a reference table).
        Index("uq_users_username_lower", func.lower(username), unique=True),
    )


class ApiToken(Base):
    __tablename__ = "api_tokens"

    shop_id: Mapped[int] = shop_id_column()
    id: Mapped[int] = mapped_column(BigInteger, Identity(always=True), primary_key=True)
    user_id: Mapped[int] = mapped_column(BigInteger)
    label: Mapped[str] = mapped_column(Text)
    # A role lower than the owner's, chosen when the token was made; NULL acts with the owner's.
    role: Mapped[str | None] = mapped_column(Text)
    secret_hash: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        CheckConstraint(f"role IN ({_ROLE_LIST_SQL})", name="role"),
        CheckConstraint(f"char_length(label) BETWEEN 1 AND {TEXT_MAX_LENGTH}", name="label_length"),
        # The hash leads: the credential's shop is found by its hash alone (board_shop_of_token).
        UniqueConstraint("secret_hash", "shop_id"),
        ForeignKeyConstraint(["shop_id", "user_id"], ["users.shop_id", "users.id"]),
        Index(None, "shop_id", "user_id"),
    )


class UserSession(Base):
    """A signed-in browser: the cookie holds the secret, this row only its hash."""

    __tablename__ = "sessions"

    shop_id: Mapped[int] = shop_id_column()
    id: Mapped[int] = mapped_column(BigInteger, Identity(always=True), primary_key=True)
    user_id: Mapped[int] = mapped_column(BigInteger)
    secret_hash: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    last_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        UniqueConstraint("secret_hash", "shop_id"),
        ForeignKeyConstraint(["shop_id", "user_id"], ["users.shop_id", "users.id"], ondelete="CASCADE"),
        Index(None, "shop_id", "user_id"),
    )


class SignInFailure(Base):
    """One wrong password (or unknown username) from one client address, kept for the throttle's window.

    Not a shop's: failures are counted before anyone (and so any shop) is known, and hold no shop's data.
    """

    __tablename__ = "sign_in_failures"

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=True), primary_key=True)
    username_key: Mapped[str] = mapped_column(Text)
    # The address as board.accounts.throttle counts it (an IPv6 client by its /64).
    client_address: Mapped[str] = mapped_column(Text)
    failed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    __table_args__ = (
        Index(None, "username_key", "client_address", "failed_at"),
        Index(None, "client_address", "failed_at"),
        Index(None, "failed_at"),
    )


IDEMPOTENCY_KEY_MAX_LENGTH = 255


class IdempotencyKey(Base):
    """A write sent with an Idempotency-Key: its fingerprint and the answer stored with its change."""

    __tablename__ = "idempotency_keys"

    # Scoped to the account (and so its shop): two callers' keys never collide.
    shop_id: Mapped[int] = shop_id_column()
    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    key: Mapped[str] = mapped_column(Text, primary_key=True)
    # SHA-256 of method, path with query, and body: a reused key with another request is refused.
    fingerprint: Mapped[str] = mapped_column(Text)
    # NULL only inside the first request's transaction: the answer is written before it commits.
    status: Mapped[int | None] = mapped_column(Integer)
    body: Mapped[str | None] = mapped_column(Text)
    headers: Mapped[dict | None] = mapped_column(JSONB)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    __table_args__ = (
        CheckConstraint(f"char_length(key) BETWEEN 1 AND {IDEMPOTENCY_KEY_MAX_LENGTH}", name="key_length"),
        ForeignKeyConstraint(["shop_id", "user_id"], ["users.shop_id", "users.id"], ondelete="CASCADE"),
        # Serves the purge of keys older than a day.
        Index(None, "created_at"),
    )


class ShopSettings(Base):
    """A shop's own settings: how long a card may wait in each status, and how displays show customers."""

    __tablename__ = "shop_settings"

    shop_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("shops.id"), primary_key=True, server_default=text(CURRENT_SHOP_SQL)
    )
    # {status: minutes} for the statuses that have a limit; a status not named has none.
    status_limits: Mapped[dict] = mapped_column(JSONB, server_default=text("'{}'::jsonb"))
    display_initials: Mapped[bool] = mapped_column(Boolean, server_default=false())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    # One more at every save: what a board's ETag names the settings by (a shop without a row: 0).
    version: Mapped[int] = mapped_column(BigInteger, server_default="1")

    __table_args__ = (CheckConstraint("jsonb_typeof(status_limits) = 'object'", name="status_limits_object"),)


class Display(Base):
    """A wall screen signed in as a viewer: first a pairing code (shown once), then the secret its cookie holds."""

    __tablename__ = "displays"

    shop_id: Mapped[int] = shop_id_column()
    id: Mapped[int] = mapped_column(BigInteger, Identity(always=True), primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    # The admin who made it: the display reads the board as this account, capped at viewer.
    created_by: Mapped[int] = mapped_column(BigInteger)
    pairing_code_hash: Mapped[str | None] = mapped_column(Text)
    pairing_expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    secret_hash: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    paired_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_seen_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        CheckConstraint(f"char_length(name) BETWEEN 1 AND {TEXT_MAX_LENGTH}", name="name_length"),
        # The hashes lead: a display's shop is found by a hash alone (board_shop_of_display).
        UniqueConstraint("secret_hash", "shop_id"),
        UniqueConstraint("pairing_code_hash", "shop_id"),
        ForeignKeyConstraint(["shop_id", "created_by"], ["users.shop_id", "users.id"], ondelete="CASCADE"),
    )


class StatusLink(Base):
    """An appointment's status link for its customer: /s/<token>, the token derived from `salt` (board.keys)."""

    __tablename__ = "status_links"

    shop_id: Mapped[int] = shop_id_column()
    appointment_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    # Random; the token is HMAC(server key, salt), so the database alone never holds a usable link.
    salt: Mapped[bytes] = mapped_column(LargeBinary)
    token_hash: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    __table_args__ = (
        # The hash leads: a link's appointment is found by its hash alone (board_status_of_link).
        UniqueConstraint("token_hash", "shop_id"),
        ForeignKeyConstraint(
            ["shop_id", "appointment_id"], ["appointments.shop_id", "appointments.id"], ondelete="CASCADE"
        ),
    )


class StatusLinkMiss(Base):
    """One request for a status link that does not work, from one client address, kept for the throttle's window.

    Not a shop's: an unknown link finds no shop, and the row holds no shop's data.
    """

    __tablename__ = "status_link_misses"

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=True), primary_key=True)
    # The address as board.status_links.throttle counts it (an IPv6 client by its /64).
    client_address: Mapped[str] = mapped_column(Text)
    missed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    __table_args__ = (
        Index(None, "client_address", "missed_at"),
        Index(None, "missed_at"),
    )


class Webhook(Base):
    """A receiver of the shop's changes: its URL, which changes it wants, and the salts of its signing secrets."""

    __tablename__ = "webhooks"

    shop_id: Mapped[int] = shop_id_column()
    id: Mapped[int] = mapped_column(BigInteger, Identity(always=True), primary_key=True)
    url: Mapped[str] = mapped_column(Text)
    kinds: Mapped[list[str]] = mapped_column(ARRAY(Text))
    # NULL: moves to every status.
    to_statuses: Mapped[list[str] | None] = mapped_column(ARRAY(Text))
    enabled: Mapped[bool] = mapped_column(Boolean, server_default=true())
    # Why the service disabled it (NULL when an admin did, or it is enabled).
    disabled_reason: Mapped[str | None] = mapped_column(Text)
    # The signing secret is HMAC(server key, salt) (board.keys): never stored itself.
    secret_salt: Mapped[bytes] = mapped_column(LargeBinary)
    # After a rotation the old secret signs too, until previous_until.
    previous_salt: Mapped[bytes | None] = mapped_column(LargeBinary)
    previous_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The first failed attempt since the last delivery: failing for 5 days disables the endpoint.
    failing_since: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    __table_args__ = (
        CheckConstraint("char_length(url) BETWEEN 1 AND 2000", name="url_length"),
        CheckConstraint(f"kinds <@ ARRAY[{_EVENT_KIND_LIST_SQL}]", name="kinds"),
        CheckConstraint(f"to_statuses <@ ARRAY[{_STATUS_LIST_SQL}]", name="to_statuses"),
    )


class WebhookMessage(Base):
    """One event queued for one endpoint, written by the change's own statement; delivered at least once."""

    __tablename__ = "webhook_messages"

    shop_id: Mapped[int] = shop_id_column()
    id: Mapped[int] = mapped_column(BigInteger, Identity(always=True), primary_key=True)
    webhook_id: Mapped[int] = mapped_column(BigInteger)
    event_seq: Mapped[int] = mapped_column(BigInteger)
    # pending until delivered, or failed once retries ran out.
    state: Mapped[str] = mapped_column(Text, server_default="pending")
    attempts: Mapped[int] = mapped_column(Integer, server_default="0")
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    __table_args__ = (
        CheckConstraint("state IN ('pending', 'delivered', 'failed')", name="state"),
        ForeignKeyConstraint(["shop_id", "webhook_id"], ["webhooks.shop_id", "webhooks.id"], ondelete="CASCADE"),
        ForeignKeyConstraint(
            ["shop_id", "event_seq"], ["appointment_events.shop_id", "appointment_events.seq"], ondelete="CASCADE"
        ),
        # The workers' scan across shops, and one endpoint's next message.
        Index("ix_webhook_messages_due", "next_attempt_at", postgresql_where=text("state = 'pending'")),
        Index(
            "ix_webhook_messages_endpoint_due",
            "shop_id",
            "webhook_id",
            "next_attempt_at",
            postgresql_where=text("state = 'pending'"),
        ),
    )


class WebhookAttempt(Base):
    """One delivery attempt: what the receiver answered (or the connection error) and how long it took."""

    __tablename__ = "webhook_attempts"

    shop_id: Mapped[int] = shop_id_column()
    id: Mapped[int] = mapped_column(BigInteger, Identity(always=True), primary_key=True)
    message_id: Mapped[int] = mapped_column(BigInteger)
    webhook_id: Mapped[int] = mapped_column(BigInteger)
    attempted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    status: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)
    duration_ms: Mapped[int] = mapped_column(Integer)

    __table_args__ = (
        ForeignKeyConstraint(
            ["shop_id", "message_id"], ["webhook_messages.shop_id", "webhook_messages.id"], ondelete="CASCADE"
        ),
        # An endpoint's deliveries, newest first.
        Index(None, "shop_id", "webhook_id", "id"),
    )
