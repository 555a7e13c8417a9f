"""Sign-in sessions for the page: sign in (throttled), change one's password, look a cookie up, sign out."""

from datetime import timedelta

from sqlalchemy import Connection, Engine, Row, delete, func, insert, select, update

from board.accounts import throttle
from board.accounts.passwords import hash_password, hashing_slot, needs_rehash, verify_password
from board.accounts.secrets import new_secret, secret_hash
from board.accounts.users import find_user, update_user
from board.db import acting_for, transaction
from board.errors import Unauthenticated, WrongCurrentPassword
from board.models import User, UserSession

COOKIE_NAME = "board_session"
# Sliding: each use (noted at most once a minute) pushes the end out again, so a board on a
# workshop screen stays signed in while it is used.
SESSION_LIFETIME = timedelta(days=14)

# Sessions kept per account: signing in once more ends the oldest (and any that have expired).
MAX_SESSIONS = 20

WRONG_CREDENTIALS = "Wrong username or password."


def sign_in(engine: Engine, username: str, password: str, address: str) -> tuple[Row, str]:
    """Check the password and open a session; return the account and the cookie's secret.

    An unknown username, a disabled account and a wrong password cost the same time and give
    the same answer, and all count towards the throttle.
    """
    with hashing_slot():
        user = checked_account(engine, username, password, address)
        if user is None:
            raise Unauthenticated(WRONG_CREDENTIALS)
        new_hash = hash_password(password) if needs_rehash(user.password_hash) else None
        with acting_for(user.shop_id), engine.begin() as conn:
            throttle.forget_failures(conn, username, address)
            if new_hash is not None:
                conn.execute(update(User).where(User.id == user.id).values(password_hash=new_hash))
            return user, insert_session(conn, user.id)


def change_password(engine: Engine, username: str, current_password: str, new_password: str, address: str) -> Row:
    """Set a new password once the current one is proved; a wrong one counts as a failed sign-in."""
    with hashing_slot():
        user = checked_account(engine, username, current_password, address)
        if user is None:
            raise WrongCurrentPassword()
        with engine.begin() as conn:
            throttle.forget_failures(conn, username, address)
        return update_user(engine, user.id, password=new_password)


def checked_account(engine: Engine, username: str, password: str, address: str) -> Row | None:
    """The account if `password` is its own; None if not. Call it holding a hashing slot.

    Refused while the throttle says so. The attempt is counted as a failure before the hash, in
    a short transaction of its own, and forgotten by the caller once the password proved right:
    so neither a database connection nor the address's lock is held while hashing, and parallel
    guesses still cannot all slip in under the limit.
    """
    with engine.begin() as conn:
        throttle.refuse_if_throttled(conn, username, address)
        throttle.record_failure(conn, username, address)
        user = find_user(conn, username)
    usable = user is not None and not user.disabled
    if not verify_password(user.password_hash if usable else None, password):
        return None
    return user


def open_session(engine: Engine, user_id: int) -> str:
    """A new session for an account that has just proved who it is; return the cookie's secret."""
    with engine.begin() as conn:
        return insert_session(conn, user_id)


def insert_session(conn: Connection, user_id: int) -> str:
    secret = new_secret()
    # The account's row is locked so that sign-ins at once cannot each leave the one before's extra session.
    conn.execute(select(User.id).where(User.id == user_id).with_for_update(key_share=True))
    conn.execute(
        insert(UserSession).values(
            user_id=user_id, secret_hash=secret_hash(secret), expires_at=func.now() + SESSION_LIFETIME
        )
    )
    kept = (
        select(UserSession.id)
        .where(UserSession.user_id == user_id, UserSession.expires_at > func.now())
        .order_by(UserSession.id.desc())
        .limit(MAX_SESSIONS)
    )
    conn.execute(delete(UserSession).where(UserSession.user_id == user_id, UserSession.id.not_in(kept)))
    return secret


def sign_out(engine: Engine, session_id: int) -> None:
    with transaction(engine) as conn:
        conn.execute(delete(UserSession).where(UserSession.id == session_id))
