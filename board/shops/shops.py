"""Shops: made and listed by operators on the command line (as the tables' owner, across shops)."""

import re
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import Engine, Row, insert, select
from sqlalchemy.exc import IntegrityError

from board.db import transaction
from board.errors import NotFound, SlugTaken, ValidationFailed
from board.models import TEXT_MAX_LENGTH, Shop

SLUG = re.compile(r"[a-z0-9-]{1,64}")
SHOP_COLUMNS = (Shop.id, Shop.slug, Shop.name, Shop.timezone, Shop.created_at)


def zone_of(name: str) -> ZoneInfo:
    """The IANA zone called `name`; ValidationFailed when there is none."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationFailed(
            {"timezone": [f"Not an IANA time zone name (such as Europe/Berlin): {name!r}."]}
        ) from None


def create_shop(engine: Engine, *, slug: str, name: str, timezone: str) -> Row:
    """Add a shop; SlugTaken when its slug is in use."""
    if not SLUG.fullmatch(slug):
        raise ValidationFailed({"slug": ["Must be 1 to 64 of lowercase letters, digits and '-'."]})
    if not 1 <= len(name) <= TEXT_MAX_LENGTH or not name.strip():
        raise ValidationFailed({"name": [f"Must be 1 to {TEXT_MAX_LENGTH} characters, not only spaces."]})
    zone_of(timezone)
    try:
        with transaction(engine) as conn:
            return conn.execute(
                insert(Shop).values(slug=slug, name=name, timezone=timezone).returning(*SHOP_COLUMNS)
            ).one()
    except IntegrityError as error:
        if "uq_shops_slug" in str(error.orig):
            raise SlugTaken(f"A shop called {slug!r} exists already.") from None
        raise


def list_shops(engine: Engine) -> list[Row]:
    with engine.begin() as conn:
        return conn.execute(select(*SHOP_COLUMNS).order_by(Shop.id)).all()


def shop_for_command(engine: Engine, slug: str | None) -> Row:
    """The shop named by `slug`; with no slug, the only shop there is (NotFound when there are several)."""
    with engine.begin() as conn:
        if slug is not None:
            shop = conn.execute(select(*SHOP_COLUMNS).where(Shop.slug == slug)).one_or_none()
            if shop is None:
                raise NotFound(f"No shop is called {slug!r}.")
            return shop
        shops = conn.execute(select(*SHOP_COLUMNS).order_by(Shop.id).limit(2)).all()
    if len(shops) != 1:
        raise NotFound(
            "There is no shop yet: make one with `shops create`."
            if not shops
            else "There are several shops: say which with --shop SLUG (see `shops list`)."
        )
    return shops[0]
