"""The board's ETag, made from what decides its body, so that a revalidation is answered without reading the board.

A board's body is decided by: the shop's cards (every change to one bumps shops.last_seq in its
own statement: board.appointments.changes.with_event), the shop's settings (limits and initials:
shop_settings.version), the days, the zone, whether the caller sees initials when the shop asks,
this module's SHAPE, and time. Time matters only at the instants a card turns late: a card whose
status has a limit turns late once, at status_since + limit, and nothing else about the body moves
with the clock. So the ETag carries the next such instant, `late_from` (found by the statement
that builds the body), in the clear beside a digest of everything, that instant included: the
body it names holds while no change came and the clock is before that instant.

The credential's lookup returns last_seq and the settings version with the credential
(board.accounts.identity), so checking an ETag costs no statement at all. A 200's ETag is built
from the board statement's own last_seq and settings version, the snapshot its body came from.
An ETag made up by a client can only win it a 304 for a body it does not have: nobody else's.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from hashlib import blake2b

# What the body looks like; a release that changes its shape changes this, and every ETag with it.
SHAPE = "board-2"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)


def _micros(moment: datetime) -> int:
    return (moment - EPOCH) // MICROSECOND


@dataclass(frozen=True)
class BoardView:
    """One caller's board of some days: everything its body depends on but the shop's state and the time."""

    shop_id: int
    first: date
    last: date
    timezone: str
    initials_when_asked: bool

    def etag(self, last_seq: int, settings_version: int, late_from: datetime | int | None) -> str:
        """The ETag of this board at `last_seq` and `settings_version`, good until `late_from` (never if None)."""
        until = _micros(late_from) if isinstance(late_from, datetime) else late_from
        facts = (SHAPE, self.shop_id, self.first, self.last, self.timezone, self.initials_when_asked)
        digest = blake2b(repr((*facts, last_seq, settings_version, until)).encode(), digest_size=16).hexdigest()
        return digest if until is None else f"{digest}.{until}"

    def still_held(self, held: list[str], last_seq: int, settings_version: int, now: datetime) -> str | None:
        """The first of the `held` ETags (without quotes) that still names this board's body now, if any."""
        now_micros = _micros(now)
        for etag in held:
            _, dot, until_text = etag.partition(".")
            until = int(until_text) if dot and until_text.isdigit() else None
            if (until is None or now_micros < until) and etag == self.etag(last_seq, settings_version, until):
                return etag
        return None
