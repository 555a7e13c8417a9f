"""Wall displays: a screen signed in as a viewer through a credential made for it, paired by a one-time code.

An admin makes a display: a row with the hash of a pairing code (256 random bits, shown once,
good for PAIRING_LIFETIME). The screen opens /display#<code>; a fragment never reaches the
server, its logs or a proxy's. The page posts the code to /api/displays/pair, which swaps it
(single use) for the secret of the display's own cookie, also kept only as its hash. The display
acts as the admin who made it, capped at viewer, and never as a full credential; deleting the
row signs the screen out on its next request.
"""

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import Engine, Row, bindparam, delete, func, insert, select, update

from board.accounts.identity import TOUCH_EVERY, Identity, credential_found, lookup_credential, shop_found
from board.accounts.secrets import new_secret, secret_hash
from board.db import entering_shop_of, transaction
from board.errors import NotFound, TooManyDisplays, Unauthenticated
from board.models import Display, User

COOKIE_NAME = "board_display"
# Browsers keep a cookie at most about 400 days; a display is used every day, so it stays.
COOKIE_LIFETIME = timedelta(days=400)
PAIRING_LIFETIME = timedelta(minutes=10)
DISPLAY_ROLE = "viewer"
# Displays per shop: plenty of screens, few enough to list on one page.
MAX_DISPLAYS = 50

WRONG_CODE = "This display link is unknown, used already or expired: make a new display from the board's admin panel."

DISPLAY_COLUMNS = (
    Display.id,
    Display.name,
    Display.created_at,
    Display.paired_at,
    Display.last_seen_at,
    Display.pairing_expires_at,
    User.username.label("creator_username"),
)


@dataclass(frozen=True)
class DisplayIdentity(Identity):
    """A display's identity: a viewer, never a full credential, whatever its maker's role."""

    display_id: int | None = None

    @property
    def below_its_owner(self) -> bool:
        return True

    @property
    def is_display(self) -> bool:
        return True

    def sees_customer_initials(self, shop_shows_initials: bool) -> bool:
        return shop_shows_initials


def list_displays(engine: Engine) -> list[Row]:
    statement = select(*DISPLAY_COLUMNS).join(User, User.id == Display.created_by).order_by(Display.id)
    with transaction(engine) as conn:
        return conn.execute(statement).all()


def create_display(engine: Engine, name: str, created_by: int) -> tuple[Row, str]:
    """Make a display waiting to be paired; return it and its pairing code (shown once)."""
    code = new_secret()
    with transaction(engine) as conn:
        count = conn.scalar(select(func.count()).select_from(Display))
        if count >= MAX_DISPLAYS:
            raise TooManyDisplays(MAX_DISPLAYS)
        display_id = conn.scalar(
            insert(Display)
            .values(
                name=name,
                created_by=created_by,
                pairing_code_hash=secret_hash(code),
                pairing_expires_at=func.now() + PAIRING_LIFETIME,
            )
            .returning(Display.id)
        )
        row = conn.execute(
            select(*DISPLAY_COLUMNS).join(User, User.id == Display.created_by).where(Display.id == display_id)
        ).one()
    return row, code


def revoke_display(engine: Engine, display_id: int) -> Row:
    """Delete a display: its screen's next request is refused."""
    with transaction(engine) as conn:
        row = conn.execute(
            select(*DISPLAY_COLUMNS).join(User, User.id == Display.created_by).where(Display.id == display_id)
        ).one_or_none()
        if row is None:
            raise NotFound("No such display.")
        conn.execute(delete(Display).where(Display.id == display_id))
    return row


def pair(engine: Engine, code: str) -> str:
    """Swap a display's pairing code, once and before it expires, for its cookie's secret."""
    secret = new_secret()
    code_hash = {"credential_hash": secret_hash(code)}
    # The shop is unknown until the code names it: the transaction then acts for the code's shop
    # (as a credential's lookup does, board.accounts.identity).
    with entering_shop_of("board_shop_of_pairing_code", code_hash["credential_hash"]), engine.begin() as conn:
        paired = conn.scalar(
            update(Display)
            .where(
                Display.pairing_code_hash == bindparam("credential_hash"),
                Display.pairing_expires_at > func.now(),
            )
            .values(
                pairing_code_hash=None,
                pairing_expires_at=None,
                secret_hash=secret_hash(secret),
                paired_at=func.now(),
                last_seen_at=func.now(),
            )
            .returning(Display.id),
            code_hash,
        )
    if paired is None:
        raise Unauthenticated(WRONG_CODE)
    return secret


def _display_lookup():
    found = credential_found(
        Display,
        (Display.id.label("display_id"), Display.name.label("display_name")),
        (),
        owner=Display.created_by,
    )
    touched = (
        update(Display)
        .where(
            Display.id == select(found.c.display_id).scalar_subquery(),
            Display.last_seen_at < func.now() - TOUCH_EVERY,
        )
        .values(last_seen_at=func.now())
        .cte("touched")
    )
    return select(found).add_cte(touched)


DISPLAY_LOOKUP = _display_lookup()


def identity_from_display(engine: Engine, secret: str) -> DisplayIdentity | None:
    """The display whose cookie holds `secret`, acting as a viewer; None once revoked (or its maker disabled)."""
    row = lookup_credential(engine, "board_shop_of_display", DISPLAY_LOOKUP, secret)
    if row is None:
        return None
    return DisplayIdentity(
        row.user_id,
        row.username,
        row.name,
        DISPLAY_ROLE,
        row.user_role,
        shop_found(row),
        token_label=f"display: {row.display_name}",
        display_id=row.display_id,
    )
