"""At most a few expensive reads at once per credential, so that one client cannot take the service.

A route marks itself `@few_at_once(when=...)` beside its `@requires`. Each credential (an API token, or a
signed-in session: two tabs of one session share, two tokens of one account do not) may have
BOARD_READS_PER_CREDENTIAL such reads running at once; one more is refused at once, before its
query runs, with 429 too_many_requests and Retry-After: 1. A read holds its place until its answer
is made, compressing included (a 31-day board's gzip costs more CPU than its query): given back when
the request ends, after every after_request hook. A credential that asked for more at once than it
may (it was refused in the last PUSHING_S) rests after each read: its next one there first waits
as long as the last one took, holding its place (so it is not refused, but others of the
credential's are). Such a client's reads take at most half of a worker's time however fast they
are (a faster board had let one viewer's 20 parallel readers slow everyone's moves more, not
less); one reading one board after another is never slowed.

The count lives in each worker process (a dict under a lock: no database round trip, nothing
left behind by a crashed worker), so across Granian's BOARD_WORKERS processes one credential
holds at most BOARD_READS_PER_CREDENTIAL x BOARD_WORKERS of them.
"""

import threading
import time
from collections import Counter
from collections.abc import Callable
from functools import wraps

from flask import Flask, current_app, g

from board.accounts.identity import Identity
from board.accounts.permissions import current_identity
from board.errors import TooManyRequests

# A credential refused this recently is asking for more than its share: its reads rest.
PUSHING_S = 10.0


class RunningReads:
    """How many marked reads each credential has running in this process."""

    def __init__(self, limit: int, clock: Callable[[], float] = time.monotonic):
        self.limit = limit
        self.clock = clock
        self._lock = threading.Lock()
        self._running: Counter = Counter()
        # When each credential was last refused, and when each resting one may read again.
        self._refused: dict[tuple, float] = {}
        self._resting: dict[tuple, float] = {}

    def enter(self, credential: tuple) -> float:
        """Take a place for a read of `credential`'s, or raise TooManyRequests; return how long it must rest first."""
        now = self.clock()
        with self._lock:
            if self._running[credential] >= self.limit:
                self._refused[credential] = now
                raise TooManyRequests()
            self._running[credential] += 1
            if len(self._resting) + len(self._refused) > 1000:
                self._resting = {held: until for held, until in self._resting.items() if until > now}
                self._refused = {held: at for held, at in self._refused.items() if at > now - PUSHING_S}
            return max(0.0, self._resting.get(credential, now) - now)

    def leave(self, credential: tuple, began: float) -> None:
        now = self.clock()
        with self._lock:
            self._running[credential] -= 1
            if self._running[credential] <= 0:
                del self._running[credential]
            if self._refused.get(credential, now - PUSHING_S) > now - PUSHING_S:
                self._resting[credential] = max(self._resting.get(credential, now), now + (now - began))


def credential_of(identity: Identity) -> tuple:
    if identity.token_id is not None:
        return ("token", identity.token_id)
    if identity.session_id is not None:
        return ("session", identity.session_id)
    return ("account", identity.user_id)


def few_at_once(when: Callable[[], bool]) -> Callable:
    """Mark a view as expensive whenever `when()` says so for the request: a credential may run only a few at once."""

    def mark(view: Callable) -> Callable:
        @wraps(view)
        def limited(*args, **kwargs):
            if not when():
                return view(*args, **kwargs)
            reads: RunningReads = current_app.extensions["board.running_reads"]
            credential = credential_of(current_identity())
            rest = reads.enter(credential)
            g.board_read_held = (credential, reads.clock() + rest)  # given back once the answer is made
            if rest:
                time.sleep(rest)
            return view(*args, **kwargs)

        return limited

    return mark


def give_back_read(error: BaseException | None = None) -> None:
    """At the end of the request (a teardown: after the answer was compressed), give its read's place back."""
    held = g.pop("board_read_held", None)
    if held is not None:
        current_app.extensions["board.running_reads"].leave(*held)


def init_app(app: Flask) -> None:
    app.extensions["board.running_reads"] = RunningReads(app.config["BOARD_READS_PER_CREDENTIAL"])
    app.teardown_request(give_back_read)
