"""The single jittered retry of a transaction that hit a transient deadlock or serialization failure."""

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import TypeVar

from flask import Flask, current_app
from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt, wait_random

from board import metrics
from board.errors import TransientConflict
from board.sqlstates import is_transient, sqlstate_of

log = logging.getLogger(__name__)

T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    """Two attempts at most; the second after a uniformly random 0..max_delay_ms pause."""

    max_delay_ms: int = 50
    sleep: Callable[[float], None] = time.sleep
    on_retry: Callable[[str | None], None] | None = None
    on_give_up: Callable[[str | None], None] | None = None

    @cached_property
    def _retrying(self) -> Retrying:
        # Built once per policy: tenacity keeps each call's state thread-local, so one Retrying
        # serves every request thread, and a move no longer pays for building it.
        return Retrying(
            stop=stop_after_attempt(2),
            wait=wait_random(0, self.max_delay_ms / 1000),
            retry=retry_if_exception(is_transient),
            before_sleep=self._before_retry,
            sleep=self.sleep,
            reraise=True,
        )

    def run(self, transaction: Callable[[], T]) -> T:
        """Run transaction(); after a transient failure run it once more; else raise TransientConflict."""
        try:
            return self._retrying(transaction)
        except Exception as exc:
            if is_transient(exc):
                sqlstate = sqlstate_of(exc)
                log.warning("transaction failed transiently twice, giving up", extra={"sqlstate": sqlstate})
                if self.on_give_up is not None:
                    self.on_give_up(sqlstate)
                raise TransientConflict(sqlstate) from exc
            raise

    def _before_retry(self, state: RetryCallState) -> None:
        sqlstate = sqlstate_of(state.outcome.exception())
        log.warning("retrying transaction after SQLSTATE %s", sqlstate, extra={"sqlstate": sqlstate})
        if self.on_retry is not None:
            self.on_retry(sqlstate)


def init_app(app: Flask) -> None:
    app.extensions["board.retry"] = RetryPolicy(
        max_delay_ms=app.config["BOARD_RETRY_MAX_DELAY_MS"],
        on_retry=metrics.count_retry,
        on_give_up=metrics.count_retry_gave_up,
    )


def current_policy() -> RetryPolicy:
    return current_app.extensions["board.retry"]
