"""What a stream carries: the change events of the caller's shop, and how one is written on the wire.

The interface the event feed fills in (issue 17):

    async def events(identity, after) -> AsyncIterator[Event]

is called once per open stream, on the worker's event loop, with the caller's Identity and the
last id the client has seen (Last-Event-ID or ?after=, None when opened without one). It yields
the events to send, in order, for as long as the stream is open; the stream writes each one and
closes the iterator (`aclose`) when the client goes away or the server stops. It must never
block the loop: database reads go through `asyncio.to_thread` (or the one LISTEN connection per
process wakes it). For now it yields nothing and waits forever: a stream carries only its
opening `retry:` line and heartbeats.
"""

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass

from board.accounts.identity import Identity


@dataclass(frozen=True)
class Event:
    """One SSE event: `id`, `event` and one JSON object as its data."""

    id: int | None
    name: str
    data: dict

    def encode(self) -> bytes:
        lines = [] if self.id is None else [f"id: {self.id}"]
        lines += [f"event: {self.name}", "data: " + json.dumps(self.data, separators=(",", ":"))]
        return ("\n".join(lines) + "\n\n").encode()


async def events(identity: Identity, after: str | None) -> AsyncIterator[Event]:
    """The changes `identity` may see after `after`, then the live ones (none yet: the feed comes next)."""
    await asyncio.Future()  # never done: no changes to send yet
    yield  # pragma: no cover  (makes this an async generator)
