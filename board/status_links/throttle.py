"""The throttle on unknown status links: misses counted per client address, in PostgreSQL.

From one address, MAX_MISSES requests for links that do not work within WINDOW refuse every
status link to it (429) until the oldest of them leaves the window; the refusal is decided
before any link is looked up. Counted in the database, like the sign-in throttle
(board.accounts.throttle), so every worker and every restart sees the same count, and by the same
address key (an IPv6 client by its /64); in a table of its own, so a customer's mistyped links
never lock staff out of signing in from the same address, nor sign-in failures a customer out.

Unlike sign-ins, requests from one address do not take turns (no advisory lock): the page of a
link that works refreshes itself, and every such view would queue behind the others from its
address. So parallel misses may overshoot the limit by as many requests as run at once, which
does not matter against 256-bit tokens: the throttle bounds the noise and load of guessing, and
no number of guesses within any limit finds a link.
"""

from datetime import timedelta

from sqlalchemy import Engine, delete, func, insert, select

from board.accounts.throttle import address_key
from board.db import one_statement
from board.models import StatusLinkMiss

MAX_MISSES = 20
WINDOW = timedelta(minutes=15)
# Each counted miss deletes at most this many expired ones: the table stays small without a job.
PURGE_BATCH = 100

PURGE_EXPIRED = delete(StatusLinkMiss).where(
    StatusLinkMiss.id.in_(
        select(StatusLinkMiss.id)
        .where(StatusLinkMiss.missed_at <= func.now() - WINDOW)
        .order_by(StatusLinkMiss.missed_at)
        .limit(PURGE_BATCH)
        .with_for_update(skip_locked=True)
    )
)


def seconds_refused(engine: Engine, address: str) -> int | None:
    """Seconds until this address may ask for status links again; None while it may now."""
    # The oldest miss that still keeps the count at the limit: once it leaves the window, one more is allowed.
    oldest_of_the_last = (
        select(StatusLinkMiss.missed_at)
        .where(StatusLinkMiss.client_address == address_key(address), StatusLinkMiss.missed_at > func.now() - WINDOW)
        .order_by(StatusLinkMiss.missed_at.desc())
        .offset(MAX_MISSES - 1)
        .limit(1)
        .scalar_subquery()
    )
    with one_statement(engine) as conn:
        seconds_left = conn.scalar(select(func.extract("epoch", oldest_of_the_last + WINDOW - func.now())))
    return None if seconds_left is None else max(1, int(-(-seconds_left // 1)))


def record_miss(engine: Engine, address: str) -> None:
    with one_statement(engine) as conn:
        conn.execute(PURGE_EXPIRED)
        conn.execute(insert(StatusLinkMiss).values(client_address=address_key(address)))
