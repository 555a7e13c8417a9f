"""An appointment's status link: made on first need, shown to staff again at will, replaced at once.

The token is HMAC(server key, "status-link" + salt) (board.keys); the table keeps only the salt
and the token's hash, so the link can be shown again any time while a copy of the database alone
holds no usable one. A link works until KEPT_FOR after its card is completed, cancelled or deleted
(board_status_of_link, migration 0012, is what refuses it then).
"""

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, Engine, Row, text

from board import keys
from board.accounts.secrets import secret_hash
from board.db import finding_its_shop, one_statement
from board.errors import NotFound

PURPOSE = "status-link"
KEPT_FOR = timedelta(days=14)
ENDED = ("COMPLETED", "CANCELLED")
# What keys.derive_text makes: 256 bits as unpadded URL-safe base64. Anything else is no link.
TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{43}")

# The card's link, inserted if it has none; the caller's transaction acts for the card's shop.
# When a concurrent first request inserted it meanwhile, this statement's snapshot may not see
# that row yet (salt NULL): the next statement does (link_row).
_MAKE_OR_READ = """
WITH card AS (
    SELECT id, status, status_since, deleted_at FROM appointments WHERE id = :appointment_id {live}
), made AS (
    INSERT INTO status_links (appointment_id, salt, token_hash)
    SELECT id, :salt, :token_hash FROM card
    ON CONFLICT DO NOTHING
    RETURNING salt
)
SELECT coalesce((SELECT salt FROM made), (SELECT salt FROM status_links WHERE appointment_id = :appointment_id))
           AS salt,
       card.status, card.status_since, card.deleted_at
FROM card
"""
MAKE_OR_READ_LIVE = text(_MAKE_OR_READ.format(live="AND deleted_at IS NULL"))
MAKE_OR_READ_ANY = text(_MAKE_OR_READ.format(live=""))
# A new salt and hash for a card that is not deleted: the old link stops with this statement.
REPLACE = text("""
WITH card AS (
    SELECT id, status, status_since, deleted_at FROM appointments WHERE id = :appointment_id AND deleted_at IS NULL
)
INSERT INTO status_links (appointment_id, salt, token_hash)
SELECT id, :salt, :token_hash FROM card
ON CONFLICT (shop_id, appointment_id)
    DO UPDATE SET salt = excluded.salt, token_hash = excluded.token_hash, created_at = now()
RETURNING salt, (SELECT status FROM card), (SELECT status_since FROM card), (SELECT deleted_at FROM card)
""")
# The narrow path across shops (migration 0012): only what the page shows, nothing once expired.
# It reads no table itself, so it runs with no shop set (db.finding_its_shop), as credential lookups do.
STATUS_OF_LINK = text("SELECT * FROM board_status_of_link(:link_hash, :keep_for)").bindparams(keep_for=KEPT_FOR)


@dataclass(frozen=True)
class Link:
    url: str
    # When it stops working; None while its card is still under way.
    expires_at: datetime | None


def token_of(salt: bytes) -> str:
    return keys.derive_text(PURPOSE, salt)


def _fresh_salt() -> dict:
    salt = keys.new_salt()
    return {"salt": salt, "token_hash": secret_hash(token_of(salt))}


def url_of(token: str, public_url: str) -> str:
    return f"{public_url.rstrip('/')}/s/{token}"


def expires_at(status: str, status_since: datetime, deleted_at: datetime | None) -> datetime | None:
    if deleted_at is not None:
        return deleted_at + KEPT_FOR
    if status in ENDED:
        return status_since + KEPT_FOR
    return None


def link_row(conn: Connection, appointment_id: int, *, live_only: bool) -> Row | None:
    """The card's (salt, status, status_since, deleted_at), its link made if it had none; None: no such card."""
    statement = MAKE_OR_READ_LIVE if live_only else MAKE_OR_READ_ANY
    for _ in range(2):
        row = conn.execute(statement, {"appointment_id": appointment_id, **_fresh_salt()}).one_or_none()
        if row is None or row.salt is not None:
            return row
    raise RuntimeError(f"the status link of appointment {appointment_id} was neither made nor found")


def status_url(conn: Connection, appointment_id: int, public_url: str) -> str:
    """The card's absolute status link, made if it had none, in the caller's transaction (acting for its shop).

    For the webhook payload: a deleted card's link too (its page says so until it expires).
    """
    row = link_row(conn, appointment_id, live_only=False)
    if row is None:
        raise NotFound()
    return url_of(token_of(row.salt), public_url)


def link_of(engine: Engine, appointment_id: int, public_url: str) -> Link:
    """The link of a card that is not deleted, for staff; NotFound for any other id."""
    with one_statement(engine) as conn:
        row = link_row(conn, appointment_id, live_only=True)
    return _link(row, public_url)


def replace_link(engine: Engine, appointment_id: int, public_url: str) -> Link:
    """A new link for a card that is not deleted: the old one answers as an unknown link from now on."""
    with one_statement(engine) as conn:
        row = conn.execute(REPLACE, {"appointment_id": appointment_id, **_fresh_salt()}).one_or_none()
    return _link(row, public_url)


def _link(row: Row | None, public_url: str) -> Link:
    if row is None:
        raise NotFound()
    return Link(url_of(token_of(row.salt), public_url), expires_at(row.status, row.status_since, row.deleted_at))


def status_of_link(engine: Engine, token: str) -> Row | None:
    """What the page of `token` shows, or None: no such link, replaced, expired, or not a token's shape."""
    if not TOKEN_SHAPE.fullmatch(token):
        return None
    with finding_its_shop(), one_statement(engine) as conn:
        return conn.execute(STATUS_OF_LINK, {"link_hash": secret_hash(token)}).one_or_none()
