"""The app as Granian serves it (RSGI): the live stream on the worker's event loop, every other request to Flask.

A Flask request runs whole on one of BOARD_THREADS app threads (a ThreadPoolExecutor per worker),
exactly as under Granian's WSGI interface: the loop hands it the environ and its body, and
answers with what Flask returned in one piece. GET /api/events is opened by Flask the same way
(board/live/api.py: credential, role, Host, headers, request log); after its first line the
stream belongs to the loop, where an open stream costs a coroutine and a few KiB, not a thread.
Why RSGI rather than ASGI with a2wsgi: see README, "Serving".
"""

import asyncio
import io
import os
import signal
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import parse_qs

from sqlalchemy import make_url

from board.db import make_engine
from board.live.events import IDENTITY_KEY, START_KEY
from board.live.listener import LiveFeed, listen_url

STREAM_PATH = "/api/events"
# A comment line this often keeps proxies and browsers from closing an idle stream (issue 17: at most 15 s).
HEARTBEAT_S = 15.0
# Threads (and database connections) per worker that read events for its streams.
LIVE_READERS = 2
BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class BoardRSGI:
    """Route one worker's requests: the stream to the loop, the rest to Flask on the app threads."""

    def __init__(self, flask_app, threads: int):
        self.flask_app = flask_app
        self.body_limit = flask_app.config["MAX_CONTENT_LENGTH"] + 1
        self.app_threads = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="board-app")
        self.streams: set[asyncio.Task] = set()
        self.feed = live_feed(flask_app.config, float(os.environ.get("BOARD_LIVE_HEARTBEAT_S") or HEARTBEAT_S))

    def __rsgi_init__(self, loop: asyncio.AbstractEventLoop) -> None:
        close_streams_on_stop(loop, self.close_streams)

    def __rsgi_del__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.feed.close()
        self.app_threads.shutdown(wait=True)

    async def __rsgi__(self, scope, protocol) -> None:
        if scope.proto != "http":
            return
        environ = wsgi_environ(scope, await read_body(scope, protocol, self.body_limit))
        status, headers, body = await asyncio.get_running_loop().run_in_executor(
            self.app_threads, call_wsgi, self.flask_app, environ
        )
        identity = environ.get(IDENTITY_KEY)
        if identity is None or status != 200 or scope.path != STREAM_PATH:
            protocol.response_bytes(status, headers, body)
            return
        task = asyncio.current_task()
        self.streams.add(task)
        try:
            transport = protocol.response_stream(status, without_length(headers))
            await self.stream(protocol, transport, body, identity, last_seen(scope) or environ.get(START_KEY))
        except asyncio.CancelledError:
            pass  # the server is stopping: the stream ends cleanly, the client reconnects elsewhere
        finally:
            self.streams.discard(task)

    async def stream(self, protocol, transport, opening: bytes, identity, after: str | None) -> None:
        """Send the opening line at once, then the shop's changes until the client goes away (board.live.listener)."""
        await transport.send_bytes(opening)
        await self.feed.serve(identity, after, transport, protocol.client_disconnect())

    def close_streams(self) -> None:
        for task in list(self.streams):
            task.cancel()


def live_feed(config, heartbeat_s: float) -> LiveFeed:
    """The worker's feed: LISTEN on BOARD_LISTEN_URL (else DATABASE_URL), reads through an engine of its own."""
    url = make_url(config["DATABASE_URL"])
    engine = make_engine(
        url,
        pool_size=LIVE_READERS,
        lock_timeout_ms=config["BOARD_DB_LOCK_TIMEOUT_MS"],
        statement_timeout_ms=config["BOARD_DB_STATEMENT_TIMEOUT_MS"],
        connect_timeout_s=config["BOARD_DB_CONNECT_TIMEOUT_S"],
        pooler=config["BOARD_DB_POOLER"],
        role=config["BOARD_DB_ROLE"],
    )
    return LiveFeed(engine, listen_url(config), readers=LIVE_READERS, heartbeat_s=heartbeat_s)


def without_length(headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The opening's headers for an endless answer: Flask's Content-Length (its one line) would end it there.

    Granian ends the answer after that many bytes, drops the stream's channel, and every later
    write fails as if the client had gone (and client_disconnect() resolves at once).
    """
    return [(name, value) for name, value in headers if name.lower() != "content-length"]


def close_streams_on_stop(loop: asyncio.AbstractEventLoop, close: Callable[[], None]) -> None:
    """End open streams on SIGTERM/SIGINT before Granian waits for requests in flight.

    Granian's worker stops on these signals through the loop's handlers and then waits for every
    open response: a stream would hold the stop for GRACEFUL_STOP_S. asyncio keeps one handler
    per signal, so this one closes the streams and then runs Granian's.
    """
    for signum in (signal.SIGTERM, signal.SIGINT):
        previous = loop._signal_handlers.get(signum)  # asyncio exposes no getter
        if previous is None:
            continue

        def stop(previous=previous):
            close()
            previous._run()

        loop.add_signal_handler(signum, stop)


def last_seen(scope) -> str | None:
    """The last id the client has: Last-Event-ID, else ?after= (a page can set only the latter)."""
    header = scope.headers.get("last-event-id")
    if header is not None:
        return header
    values = parse_qs(scope.query_string).get("after")
    return values[0] if values else None


async def read_body(scope, protocol, limit: int) -> bytes:
    """The request body, at most `limit` bytes: one more than Flask accepts is enough to refuse it (413)."""
    if (
        scope.method not in BODY_METHODS
        and "content-length" not in scope.headers
        and "transfer-encoding" not in scope.headers
    ):
        return b""
    chunks, size = [], 0
    async for chunk in protocol:
        chunks.append(chunk)
        size += len(chunk)
        if size >= limit:
            break
    return b"".join(chunks)


def wsgi_environ(scope, body: bytes) -> dict:
    """PEP 3333's environ for an RSGI request, as Granian's WSGI interface builds it."""
    host, _, port = scope.server.rpartition(":")
    client_host, _, client_port = scope.client.rpartition(":")
    environ = {
        "REQUEST_METHOD": scope.method,
        "SCRIPT_NAME": "",
        "PATH_INFO": scope.path.encode().decode("latin-1"),
        "QUERY_STRING": scope.query_string,
        "SERVER_NAME": host,
        "SERVER_PORT": port,
        "SERVER_PROTOCOL": f"HTTP/{scope.http_version}",
        "REMOTE_ADDR": client_host.strip("[]"),
        "REMOTE_PORT": client_port,
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": scope.scheme,
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
        "wsgi.input_terminated": True,
    }
    for name, value in scope.headers.items():
        key = name.upper().replace("-", "_")
        if key not in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            key = "HTTP_" + key
        if key in environ:  # a repeated header: one value, as RFC 9110 joins them (cookies with "; ")
            value = environ[key] + ("; " if key == "HTTP_COOKIE" else ",") + value
        environ[key] = value
    if "HTTP_TRANSFER_ENCODING" not in environ and "CONTENT_LENGTH" not in environ and body:
        environ["CONTENT_LENGTH"] = str(len(body))
    return environ


def call_wsgi(app: Callable, environ: dict) -> tuple[int, list[tuple[str, str]], bytes]:
    """Run one WSGI request to its end on this thread; answer its status, headers and whole body."""
    started = []

    def start_response(status: str, headers: list, exc_info=None):
        started[:] = [int(status.split(" ", 1)[0]), headers]
        return lambda chunk: None

    chunks = app(environ, start_response)
    try:
        body = b"".join(chunks)
    finally:
        getattr(chunks, "close", lambda: None)()
    return started[0], started[1], body
