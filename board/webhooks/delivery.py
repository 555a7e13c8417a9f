"""One attempt to deliver a message: an HTTP POST to the address that was checked, within the time allowed."""

import http.client
import socket
import ssl
import time
from dataclasses import dataclass

from board.webhooks.addresses import Target

# A 2xx within this long is a delivery; anything else is retried.
TIMEOUT_S = 10.0
# Read at most this much of an answer: a receiver's body is not ours to keep.
ANSWER_READ_BYTES = 4096
USER_AGENT = "board-webhooks/1"


@dataclass(frozen=True)
class Outcome:
    status: int | None
    error: str | None
    duration_ms: int

    @property
    def delivered(self) -> bool:
        return self.status is not None and 200 <= self.status < 300

    def describe(self) -> str:
        return f"HTTP {self.status}" if self.status is not None else self.error or "no answer"


class PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to the checked address, whatever the host name resolves to by now."""

    def __init__(self, target: Target, timeout: float):
        super().__init__(target.host, target.port, timeout=timeout)
        self.address = target.address

    def connect(self) -> None:
        self.sock = socket.create_connection((self.address, self.port), self.timeout)


class PinnedHTTPSConnection(http.client.HTTPSConnection):
    """As PinnedHTTPConnection, with TLS verified against the URL's host name."""

    def __init__(self, target: Target, timeout: float):
        super().__init__(target.host, target.port, timeout=timeout, context=ssl.create_default_context())
        self.address = target.address

    def connect(self) -> None:
        sock = socket.create_connection((self.address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def post(target: Target, body: bytes, headers: dict[str, str], timeout_s: float = TIMEOUT_S) -> Outcome:
    connection_class = PinnedHTTPSConnection if target.scheme == "https" else PinnedHTTPConnection
    connection = connection_class(target, timeout_s)
    started = time.monotonic()
    status, error = None, None
    try:
        connection.request(
            "POST",
            target.path,
            body=body,
            headers={**headers, "Content-Type": "application/json", "User-Agent": USER_AGENT},
        )
        response = connection.getresponse()
        response.read(ANSWER_READ_BYTES)
        status = response.status
    except TimeoutError:
        error = f"no answer within {timeout_s:g} s"
    except ssl.SSLError as failure:
        error = f"TLS: {failure.reason or failure}"
    except (OSError, http.client.HTTPException) as failure:
        error = f"{type(failure).__name__}: {failure}"[:300]
    finally:
        connection.close()
    elapsed = time.monotonic() - started
    if status is not None and elapsed > timeout_s:
        status, error = None, f"answered after {elapsed:.1f} s, more than {timeout_s:g} s"
    return Outcome(status, error, round(elapsed * 1000))
