"""One LISTEN connection per worker process, and one reader per shop that writes its changes to its streams.

A change rings `board_changes` with '<shop_id>:<seq>' when it commits (board.appointments.changes).
The process's one listener hands the ring to that shop's reader, which reads the new events once,
as the shop, encodes them once per view (a display may see customers as initials) and writes that
batch to every stream of the shop that is caught up. A stream first replays what it missed from the
log itself, up to where the shop's reader is, and only then joins the caught-up streams, so a change
costs one read per shop and one write per stream, and no stream runs any code of its own per change.
A busy shop's changes are read at most once every BATCH_S: the rest that ring meanwhile go out
together, so 1,000 open streams cost 1,000 writes per batch, not per change (issue 17).
Reads run on a small thread pool of their own, through an engine of their own, so open streams
never take a connection or a thread from the app's requests.
"""

import asyncio
import logging
import random
import time
from concurrent.futures import ThreadPoolExecutor

import psycopg
from sqlalchemy import Engine, make_url

from board.accounts.identity import Identity
from board.appointments.changes import CHANGES_CHANNEL
from board.live import feed
from board.live.events import Event

log = logging.getLogger(__name__)

# Backoff between attempts to (re)connect the listener, in seconds.
RECONNECT_FIRST_S = 0.2
RECONNECT_MAX_S = 5.0
# A shop's reader reads (and its streams are written) at most this often; a lone change goes out at once.
BATCH_S = 0.1
HEARTBEAT = b": keep-alive\n\n"
# Streams written before the loop takes a turn at everything else waiting (requests' answers).
WRITES_BETWEEN_TURNS = 50


def listen_url(config) -> str:
    """Where a process's LISTEN connection goes (libpq form): BOARD_LISTEN_URL, else DATABASE_URL.

    Behind a transaction-pooling PgBouncer LISTEN does not work, so BOARD_LISTEN_URL then names PostgreSQL itself.
    """
    url = make_url(config["BOARD_LISTEN_URL"] or config["DATABASE_URL"]).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


class Stream:
    """One open stream: the last change it has sent, how it writes, and whether that still works."""

    def __init__(self, identity: Identity, transport):
        self.identity = identity
        self.transport = transport
        # Streams with the same view get the same bytes for a batch (feed.as_seen_by).
        self.view = identity.sees_customer_initials(True)
        self.sent = 0
        self.written_at = time.monotonic()
        self.broken = asyncio.Event()

    async def write(self, data: bytes) -> None:
        """Write `data`; a closed connection marks the stream broken, which ends it.

        Granian queues the bytes for the connection and returns a finished awaitable, so a write
        never waits on the client and one slow client never holds up the other streams.
        """
        self.written_at = time.monotonic()
        try:
            await self.transport.send_bytes(data)
        except (OSError, RuntimeError):  # RSGIProtocolClosed is a RuntimeError
            self.broken.set()

    async def send(self, events: list[Event]) -> None:
        if events:
            await self.write(b"".join(feed.as_seen_by(self.identity, event).encoded for event in events))
            self.sent = events[-1].id


class ShopReader:
    """The one reader of a shop's new events in this process, for as long as a stream of that shop is open."""

    def __init__(self, live: "LiveFeed", shop_id: int):
        self.live = live
        self.shop_id = shop_id
        self.streams: set[Stream] = set()  # caught up: each has sent exactly `cursor`
        self.waiting = 0  # streams still catching up, which keep the reader alive too
        self.cursor: int | None = None  # the last seq written to the streams
        self.rung = asyncio.Event()
        self.advanced = asyncio.Event()  # replaced after every read: waiters hold the one they saw
        self.task: asyncio.Task | None = None

    def ring(self, seq: int | None = None) -> None:
        if self.cursor is not None and (seq is None or seq > self.cursor):
            self.rung.set()

    def start_at(self, seq: int) -> None:
        """Begin reading after `seq` (a stream's own read saw that far), unless already reading."""
        if self.cursor is None:
            self.cursor = seq
            self.rung.set()

    async def run(self) -> None:
        read_at = 0.0
        while True:
            await self.rung.wait()
            await asyncio.sleep(max(0.0, read_at + self.live.batch_s - time.monotonic()))
            self.rung.clear()
            read_at = time.monotonic()
            events = await self.live.read(feed.read_after, self.shop_id, self.cursor)
            if events:
                # Streams that join from here on must have replayed up to the new cursor themselves.
                self.cursor = events[-1].id
                await self.write(list(self.streams), events)
            self.advanced.set()
            self.advanced = asyncio.Event()
            if len(events) == feed.PAGE:
                read_at = 0.0
                self.rung.set()

    async def write(self, streams: list[Stream], events: list[Event]) -> None:
        """Write `events` to each of `streams`, encoded once per view."""
        encoded: dict[bool, bytes] = {}
        for n, stream in enumerate(streams, 1):
            data = encoded.get(stream.view)
            if data is None:
                seen = (feed.as_seen_by(stream.identity, event) for event in events)
                data = encoded[stream.view] = b"".join(event.encoded for event in seen)
            stream.sent = events[-1].id
            await stream.write(data)
            if n % WRITES_BETWEEN_TURNS == 0:
                # A write never waits, so without this the loop would hand no request its answer
                # until every stream had its batch (about 7 ms for 500 streams).
                await asyncio.sleep(0)

    async def catch_up(self, stream: Stream) -> None:
        """Send `stream` what the log holds after its last change up to this reader's cursor, then add it
        to the caught-up streams. The check and the joining happen with no await between them."""
        self.start_at(stream.sent)
        while stream.sent != self.cursor:
            if stream.sent > self.cursor:
                advanced = self.advanced
                self.ring()
                await advanced.wait()
                continue
            upto = self.cursor
            events = await self.live.read(feed.read_after, self.shop_id, stream.sent)
            await stream.send([event for event in events if event.id <= upto])
        self.streams.add(stream)


class LiveFeed:
    """The event feed of one worker process: its listener, its shops' readers, and its open streams."""

    def __init__(
        self, engine: Engine, listen_url: str, readers: int = 2, heartbeat_s: float = 15.0, batch_s: float = BATCH_S
    ):
        self.engine = engine
        self.listen_url = listen_url
        self.readers = ThreadPoolExecutor(max_workers=readers, thread_name_prefix="board-live")
        self.heartbeat_s = heartbeat_s
        self.batch_s = batch_s
        self.shops: dict[int, ShopReader] = {}
        self.open: set[Stream] = set()
        self.listener: asyncio.Task | None = None
        self.heartbeat: asyncio.Task | None = None
        self.listening = asyncio.Event()

    async def read(self, function, *args):
        return await asyncio.get_running_loop().run_in_executor(self.readers, function, self.engine, *args)

    async def serve(self, identity: Identity, after: str | None, transport, disconnected) -> None:
        """Write to `transport` the changes `identity`'s shop made after `after` (None: from now), then the live
        ones, each once, in order, as `identity` may see them (feed.as_seen_by), until `disconnected` finishes
        or a write fails."""
        if self.listener is None:
            self.listener = asyncio.create_task(self.listen())
            self.heartbeat = asyncio.create_task(self.keep_alive())
        await self.listening.wait()
        shop = self.shops.get(identity.shop.id)
        if shop is None:
            shop = self.shops[identity.shop.id] = ShopReader(self, identity.shop.id)
            shop.task = asyncio.create_task(shop.run())
        stream = Stream(identity, transport)
        self.open.add(stream)
        shop.waiting += 1
        gone = asyncio.ensure_future(disconnected)
        broken = asyncio.ensure_future(stream.broken.wait())
        try:
            where = await self.read(feed.position, shop.shop_id, after)
            stream.sent = where.start
            if where.reset:
                await stream.write(feed.reset_event(where.start).encoded)
            await shop.catch_up(stream)
            shop.waiting -= 1
            await asyncio.wait({gone, broken}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            if stream not in shop.streams:
                shop.waiting -= 1
            gone.cancel()
            broken.cancel()
            self.open.discard(stream)
            shop.streams.discard(stream)
            if not shop.streams and not shop.waiting:
                shop.task.cancel()
                del self.shops[shop.shop_id]

    async def keep_alive(self) -> None:
        """Write a comment to every stream that has written nothing for half a heartbeat, each half heartbeat."""
        half = self.heartbeat_s / 2
        while True:
            await asyncio.sleep(half)
            quiet_since = time.monotonic() - half
            for stream in list(self.open):
                if stream.written_at <= quiet_since:
                    await stream.write(HEARTBEAT)

    async def listen(self) -> None:
        """Hold the process's LISTEN connection, reconnecting with backoff; ring each shop's reader."""
        delay = RECONNECT_FIRST_S
        while True:
            try:
                async with await psycopg.AsyncConnection.connect(self.listen_url, autocommit=True) as conn:
                    await conn.execute(f"LISTEN {CHANGES_CHANNEL}")
                    delay = RECONNECT_FIRST_S
                    self.listening.set()
                    for shop in self.shops.values():
                        shop.ring()  # what rang while no one listened
                    async for notify in conn.notifies():
                        shop_id, _, seq = notify.payload.partition(":")
                        shop = self.shops.get(int(shop_id))
                        if shop is not None:
                            shop.ring(int(seq))
            except (psycopg.Error, OSError) as error:
                log.warning("live listener lost its connection (%s); reconnecting in %.1f s", error, delay)
            # Streams opened meanwhile start from the log; rings missed are caught up at reconnect.
            self.listening.set()
            await asyncio.sleep(delay * random.uniform(0.5, 1.0))
            delay = min(delay * 2, RECONNECT_MAX_S)

    def close(self) -> None:
        if self.listener is not None:
            self.listener.cancel()
            self.heartbeat.cancel()
        for shop in self.shops.values():
            shop.task.cancel()
        self.readers.shutdown(wait=False, cancel_futures=True)
