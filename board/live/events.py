"""What a stream carries: the change events of the caller's shop, and how one is written on the wire."""

import json
from dataclasses import dataclass


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
