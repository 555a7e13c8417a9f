"""Accounts: create, list, change, disable; the rule that an active admin always remains."""

from sqlalchemy import Connection, Engine, Row, delete, func, insert, select, text, update
from sqlalchemy.exc import IntegrityError

from board.accounts.passwords import hash_password
from board.db import transaction
from board.errors import LastAdmin, NotFound, UsernameTaken
from board.models import User, UserSession

USER_COLUMNS = (User.id, User.username, User.name, User.role, User.disabled, User.created_at, User.shop_id)

# Usernames are unique across the service: sign-in finds the account's shop from it alone, through
# the one narrow path across shops (migration 0007's SECURITY DEFINER function, which returns only
# a shop id; sign-in answers an unknown username exactly as a wrong password, so it tells nothing).
ENTER_SHOP_OF_USERNAME = text(
    "SELECT set_config('board.shop_id', coalesce(board_shop_of_username(:username)::text, ''), true)"
)


def create_user(engine: Engine, *, username: str, name: str, role: str, password: str) -> Row:
    """Add an account; UsernameTaken when the username exists in any letter case."""
    statement = (
        insert(User)
        .values(username=username, name=name, role=role, password_hash=hash_password(password))
        .returning(*USER_COLUMNS)
    )
    try:
        with transaction(engine) as conn:
            return conn.execute(statement).one()
    except IntegrityError as error:
        if "uq_users_username_lower" in str(error.orig):
            raise UsernameTaken() from None
        raise


def list_users(engine: Engine) -> list[Row]:
    with engine.connect() as conn:
        return conn.execute(select(*USER_COLUMNS).order_by(func.lower(User.username))).all()


def find_user(conn: Connection, username: str) -> Row | None:
    """The account with this username in any letter case, with its password hash.

    The transaction acts for the account's shop from here on (none, when there is no such account).
    """
    conn.execute(ENTER_SHOP_OF_USERNAME, {"username": username})
    return conn.execute(
        select(*USER_COLUMNS, User.password_hash).where(func.lower(User.username) == username.lower())
    ).one_or_none()


def user_id_of(engine: Engine, username: str) -> int:
    with engine.connect() as conn:
        user = find_user(conn, username)
    if user is None:
        raise NotFound(f"No account is called {username!r}.")
    return user.id


def update_user(
    engine: Engine,
    user_id: int,
    *,
    name: str | None = None,
    role: str | None = None,
    password: str | None = None,
    disabled: bool | None = None,
) -> Row:
    """Change an account. A new password or disabling it ends all of the account's sessions."""
    values: dict = {}
    if name is not None:
        values["name"] = name
    if role is not None:
        values["role"] = role
    if password is not None:
        values["password_hash"] = hash_password(password)
    if disabled is not None:
        values["disabled"] = disabled
    with transaction(engine) as conn:
        # Locking every active admin of the account's shop serialises changes to admins: two admins
        # demoting each other at once cannot both see the other as the one who remains. Per shop
        # by row security for the service; by the condition for an operator, who sees every shop.
        shop = select(User.shop_id).where(User.id == user_id).scalar_subquery()
        admins = conn.scalars(
            select(User.id)
            .where(User.shop_id == shop, User.role == "admin", User.disabled.is_(False))
            .with_for_update()
        ).all()
        stays_admin = (role in (None, "admin")) and not disabled
        if user_id in admins and not stays_admin and len(admins) == 1:
            raise LastAdmin()
        user = conn.execute(
            update(User).where(User.id == user_id).values(**values, updated_at=func.now()).returning(*USER_COLUMNS)
        ).one_or_none()
        if user is None:
            raise NotFound("No such account.")
        if password is not None or disabled:
            end_sessions(conn, user_id)
        return user


def end_sessions(conn: Connection, user_id: int) -> None:
    conn.execute(delete(UserSession).where(UserSession.user_id == user_id))


def count_users(engine: Engine) -> int:
    with engine.connect() as conn:
        return conn.scalar(select(func.count()).select_from(User))
