"""Who is asking: an API token (Authorization: Bearer) or a session cookie, checked against the database.

Every request looks its credential up, so a revoked token, a disabled account or an ended
session is refused on the very next request, in every worker.
"""

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import Engine, bindparam, func, select, text

from board.accounts.roles import weaker_role
from board.accounts.secrets import secret_hash
from board.accounts.sessions import SESSION_LIFETIME
from board.db import Prepared, entering_shop_of, finding_its_shop, one_statement
from board.models import Shop, ShopSettings, User

# last_used_at / last_seen_at are noted at most this often: a write per request would cost
# more than the lookup itself.
TOUCH_EVERY = timedelta(minutes=1)


@dataclass(frozen=True)
class ShopOf:
    """The shop a credential acts for: its account's."""

    id: int
    slug: str
    name: str
    timezone: str
    # As the lookup found them: what a board's ETag is built from (board.appointments.board_tag).
    last_seq: int
    settings_version: int

    def public(self) -> dict:
        return {"slug": self.slug, "name": self.name, "timezone": self.timezone}


@dataclass(frozen=True)
class Identity:
    user_id: int
    username: str
    name: str
    role: str
    # The account's own role: `role` is lower for a token limited to a lower role.
    owner_role: str
    shop: ShopOf
    token_id: int | None = None
    token_label: str | None = None
    session_id: int | None = None

    @property
    def below_its_owner(self) -> bool:
        """A token limited to a lower role than its owner's (a wall screen's, Prometheus')."""
        return self.role != self.owner_role

    @property
    def is_display(self) -> bool:
        """A wall display's screen (board.shops.displays), which reads only what a display shows."""
        return False

    def sees_customer_initials(self, shop_shows_initials: bool) -> bool:
        """Whether this caller receives customers as initials: only displays, and only when their shop says so."""
        return False

    @property
    def id(self) -> int:
        """The account's id, by the name a user's row gives it (board.accounts.schemas.account_out)."""
        return self.user_id


def credential_found(table, found_columns, usable, owner=None):
    """The credential's row in `table`, if usable, and its account's and shop's (a CTE named found).

    `owner` is the column naming the account (the table's user_id unless given); the callers add
    noting the credential's use.
    """
    owner = table.user_id if owner is None else owner
    return (
        select(
            *found_columns,
            User.id.label("user_id"),
            User.username,
            User.name,
            User.role.label("user_role"),
            Shop.id.label("shop_id"),
            Shop.slug.label("shop_slug"),
            Shop.name.label("shop_name"),
            Shop.timezone.label("shop_timezone"),
            Shop.last_seq.label("shop_last_seq"),
            func.coalesce(ShopSettings.version, 0).label("shop_settings_version"),
        )
        .join(User, (User.shop_id == table.shop_id) & (User.id == owner))
        .join(Shop, Shop.id == table.shop_id)
        .outerjoin(ShopSettings, ShopSettings.shop_id == table.shop_id)
        .where(table.secret_hash == bindparam("credential_hash"), User.disabled.is_(False), *usable)
        .cte("found")
    )


# The narrow path across shops for tokens and sessions (migration 0011): a SECURITY DEFINER function
# returns the usable credential whose hash matches, with its account and shop, and notes its use.
# The statement reads no table itself, so it needs no shop set first (db.finding_its_shop).
# Every request runs one of them: Prepared spares them SQLAlchemy's execution layer.
TOKEN_LOOKUP = Prepared(
    text("SELECT * FROM board_token_credential(:credential_hash, :touch_every)").bindparams(touch_every=TOUCH_EVERY)
)
SESSION_LOOKUP = Prepared(
    text("SELECT * FROM board_session_credential(:credential_hash, :touch_every, :lifetime)").bindparams(
        touch_every=TOUCH_EVERY, lifetime=SESSION_LIFETIME
    )
)


def lookup_credential(engine: Engine, shop_of: str, lookup, secret: str):
    # The narrow path across shops (migrations 0007, 0009): the SECURITY DEFINER function `shop_of`
    # returns only the shop id of the row with this hash; the statement runs in that shop, and the
    # lookup itself runs under row security like any other query. No such row: no shop, no row found.
    credential = {"credential_hash": secret_hash(secret)}
    with entering_shop_of(shop_of, credential["credential_hash"]), one_statement(engine) as conn:
        return conn.execute(lookup, credential).one_or_none()


def find_credential(engine: Engine, lookup: Prepared, secret: str):
    """The credential's row as `lookup` (TOKEN_LOOKUP, SESSION_LOOKUP) finds it by its secret's hash, if usable."""
    with finding_its_shop(), one_statement(engine) as conn:
        return lookup.one_or_none(conn, {"credential_hash": secret_hash(secret)})


def shop_found(row) -> ShopOf:
    """The shop in a row of credential_found."""
    return ShopOf(
        row.shop_id, row.shop_slug, row.shop_name, row.shop_timezone, row.shop_last_seq, row.shop_settings_version
    )


def identity_from_token(engine: Engine, secret: str) -> Identity | None:
    row = find_credential(engine, TOKEN_LOOKUP, secret)
    if row is None:
        return None
    role = weaker_role(row.token_role, row.user_role) if row.token_role else row.user_role
    return Identity(
        row.user_id,
        row.username,
        row.name,
        role,
        row.user_role,
        shop_found(row),
        token_id=row.credential_id,
        token_label=row.label,
    )


def identity_from_session(engine: Engine, secret: str) -> Identity | None:
    row = find_credential(engine, SESSION_LOOKUP, secret)
    if row is None:
        return None
    return Identity(
        row.user_id, row.username, row.name, row.user_role, row.user_role, shop_found(row), session_id=row.credential_id
    )
