"""At most a few expensive reads at once per credential, so that one client cannot take the service.

A route marks itself `@few_at_once(when=...)` beside its `@requires`. Each credential (an API token, or a
signed-in session: two tabs of one session share, two tokens of one account do not) may have
BOARD_READS_PER_CREDENTIAL such reads running at once; one more is refused at once, before its
query runs, with 429 too_many_requests and Retry-After: 1.

The count lives in each worker process (a dict under a lock: no database round trip, nothing
left behind by a crashed worker), so across Granian's BOARD_WORKERS processes one credential
holds at most BOARD_READS_PER_CREDENTIAL x BOARD_WORKERS of them.
"""

import threading
from collections import Counter
from collections.abc import Callable
from functools import wraps

from flask import Flask, current_app

from board.accounts.identity import Identity
from board.accounts.permissions import current_identity
from board.errors import TooManyRequests


class RunningReads:
    """How many marked reads each credential has running in this process."""

    def __init__(self, limit: int):
        self.limit = limit
        self._lock = threading.Lock()
        self._running: Counter = Counter()

    def enter(self, credential: tuple) -> None:
        with self._lock:
            if self._running[credential] >= self.limit:
                raise TooManyRequests()
            self._running[credential] += 1

    def leave(self, credential: tuple) -> None:
        with self._lock:
            self._running[credential] -= 1
            if self._running[credential] <= 0:
                del self._running[credential]


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
            reads.enter(credential)
            try:
                return view(*args, **kwargs)
            finally:
                reads.leave(credential)

        return limited

    return mark


def init_app(app: Flask) -> None:
    app.extensions["board.running_reads"] = RunningReads(app.config["BOARD_READS_PER_CREDENTIAL"])
