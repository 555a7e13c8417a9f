"""What a stream carries: the change events of the caller's shop, and how one is written on the wire."""

import json
from dataclasses import dataclass
from functools import cached_property

# Where the route that opens a stream hands what follows to the loop that holds it (board.rsgi):
# the caller, and the last change before the headers went out (a stream opened without an id is
# live from there).
IDENTITY_KEY = "board.live.identity"
START_KEY = "board.live.start"


@dataclass(frozen=True)
class Event:
    """One SSE event: `id`, `event` and one JSON object as its data.

    `initials_on_displays`: the shop showed customers as initials on displays when the event was
    read, so a display's stream sends its card's customer that way (board.live.feed.as_seen_by).
    """

    id: int | None
    name: str
    data: dict
    initials_on_displays: bool = False

    @cached_property
    def encoded(self) -> bytes:
        """The event on the wire, written once however many streams send it."""
        lines = [] if self.id is None else [f"id: {self.id}"]
        lines += [f"event: {self.name}", "data: " + json.dumps(self.data, separators=(",", ":"))]
        return ("\n".join(lines) + "\n\n").encode()
