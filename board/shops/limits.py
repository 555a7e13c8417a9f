"""How long a card may wait in each status before it is late, per shop, and whether a card is late now."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine, func, select
from sqlalchemy.dialects.postgresql import insert

from board.db import one_statement, transaction
from board.models import STATUSES, ShopSettings

# A week: a longer wait is not "late", it is forgotten.
LIMIT_MAX_MINUTES = 7 * 24 * 60


@dataclass(frozen=True)
class Settings:
    """A shop's settings; a shop that never changed them has no limits and shows full names."""

    limits: dict[str, int]
    display_initials: bool = False

    def limits_out(self) -> dict[str, int | None]:
        """Every status, in the board's order, with its limit in minutes or null."""
        return {status: self.limits.get(status) for status in STATUSES}


DEFAULTS = Settings(limits={})


def lateness(settings: Settings, now: datetime) -> Callable[[object], bool]:
    """A function telling whether a card is late at `now` under these limits."""
    limits = {status: timedelta(minutes=minutes) for status, minutes in settings.limits.items()}

    def late(card) -> bool:
        limit = limits.get(card.status)
        # status_since: the move that put the card in its status, or its creation.
        return limit is not None and now - card.status_since >= limit

    return late


def _settings(row) -> Settings:
    if row is None:
        return DEFAULTS
    return Settings(limits=dict(row.status_limits), display_initials=row.display_initials)


def get_settings(engine: Engine) -> Settings:
    """The caller's shop's settings (row security picks the shop)."""
    with one_statement(engine) as conn:
        return _settings(conn.execute(select(ShopSettings.status_limits, ShopSettings.display_initials)).one_or_none())


def _save(engine: Engine, **values) -> Settings:
    statement = (
        insert(ShopSettings)
        .values(**values)
        .on_conflict_do_update(
            index_elements=[ShopSettings.shop_id],
            set_={**values, "updated_at": func.now(), "version": ShopSettings.version + 1},
        )
        .returning(ShopSettings.status_limits, ShopSettings.display_initials)
    )
    with transaction(engine) as conn:
        return _settings(conn.execute(statement).one())


def set_limits(engine: Engine, limits: dict[str, int | None]) -> Settings:
    """Replace the shop's limits: a status absent or null has none."""
    return _save(engine, status_limits={status: minutes for status, minutes in limits.items() if minutes is not None})


def set_display_initials(engine: Engine, initials: bool) -> Settings:
    return _save(engine, display_initials=initials)
