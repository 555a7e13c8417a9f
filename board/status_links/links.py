"""An appointment's status link for its customer, made on first need (the token derived from a salt: board.keys)."""

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert

from board import keys
from board.accounts.secrets import secret_hash
from board.models import StatusLink


def status_url(conn, appointment_id: int, public_url: str) -> str:
    salt = keys.new_salt()
    token = keys.derive_text("status-link", salt)
    conn.execute(
        insert(StatusLink)
        .values(appointment_id=appointment_id, salt=salt, token_hash=secret_hash(token))
        .on_conflict_do_nothing()
    )
    salt = conn.scalar(select(StatusLink.salt).where(StatusLink.appointment_id == appointment_id))
    return f"{public_url}/s/{keys.derive_text('status-link', salt)}"
