"""One LISTEN connection per worker process, and one reader per shop that fans its changes out to its streams.

A change rings `board_changes` with '<shop_id>:<seq>' when it commits (board.appointments.changes).
The process's one listener hands the ring to that shop's reader, which reads the new events once,
as the shop, and puts each into every open stream's queue of that shop. A stream first replays
what it missed from the log itself, then takes the reader's events, skipping those it has sent; it
reads the log again only when the next event it takes is not the one after its last (the reader
began past it), so a change costs one read per shop, not one per stream.
Reads run on a small thread pool of their own, through an engine of their own, so open streams
never take a connection or a thread from the app's requests.
"""

import asyncio
import logging
import random
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor

import psycopg
from sqlalchemy import Engine

from board.accounts.identity import Identity
from board.appointments.changes import CHANGES_CHANNEL
from board.live import feed
from board.live.events import Event

log = logging.getLogger(__name__)

# Backoff between attempts to (re)connect the listener, in seconds.
RECONNECT_FIRST_S = 0.2
RECONNECT_MAX_S = 5.0


class ShopReader:
    """The one reader of a shop's new events in this process, for as long as a stream of that shop is open."""

    def __init__(self, live: "LiveFeed", shop_id: int):
        self.live = live
        self.shop_id = shop_id
        self.streams: set[asyncio.Queue] = set()
        self.cursor: int | None = None  # the last seq put into the queues
        self.rung = asyncio.Event()
        self.task: asyncio.Task | None = None

    def ring(self, seq: int | None = None) -> None:
        if self.cursor is not None and (seq is None or seq > self.cursor):
            self.rung.set()

    def start_at(self, seq: int) -> None:
        """Begin reading after `seq` (a stream's own read saw at least that far), unless already reading."""
        if self.cursor is None:
            self.cursor = seq
            self.rung.set()

    async def run(self) -> None:
        while True:
            await self.rung.wait()
            self.rung.clear()
            events = await self.live.read(feed.read_after, self.shop_id, self.cursor)
            for event in events:
                for queue in self.streams:
                    queue.put_nowait(event)
            if events:
                self.cursor = events[-1].id
            if len(events) == feed.PAGE:
                self.rung.set()


class LiveFeed:
    """The event feed of one worker process: its listener, its shops' readers, and each stream's events."""

    def __init__(self, engine: Engine, listen_url: str, readers: int = 2):
        self.engine = engine
        self.listen_url = listen_url
        self.readers = ThreadPoolExecutor(max_workers=readers, thread_name_prefix="board-live")
        self.shops: dict[int, ShopReader] = {}
        self.listener: asyncio.Task | None = None
        self.listening = asyncio.Event()

    async def read(self, function, *args):
        return await asyncio.get_running_loop().run_in_executor(self.readers, function, self.engine, *args)

    async def events(self, identity: Identity, after: str | None) -> AsyncIterator[list[Event]]:
        """The changes `identity`'s shop made after `after` (None: from now), then the live ones, each once, in order,
        as `identity` may see them (feed.as_seen_by).

        They come in batches: whatever is waiting when the stream is ready for more goes out in one
        write, so a busy shop costs each stream one wake-up per batch rather than one per change.
        """
        if self.listener is None:
            self.listener = asyncio.create_task(self.listen())
        await self.listening.wait()
        shop = self.shops.get(identity.shop.id)
        if shop is None:
            shop = self.shops[identity.shop.id] = ShopReader(self, identity.shop.id)
            shop.task = asyncio.create_task(shop.run())
        queue: asyncio.Queue = asyncio.Queue()
        shop.streams.add(queue)  # before reading: whatever the reader finds from now on is queued
        try:
            where = await self.read(feed.position, shop.shop_id, after)
            sent = where.start
            if where.reset:
                yield [feed.reset_event(sent)]
            shop.start_at(sent)
            behind = True
            while True:
                if behind:
                    async for page in self.replay(shop.shop_id, sent):
                        yield [feed.as_seen_by(identity, event) for event in page]
                        sent = page[-1].id
                    behind = False
                waiting = [await queue.get()]
                while not queue.empty():
                    waiting.append(queue.get_nowait())
                batch = []
                for event in waiting:
                    if event.id == sent + 1:
                        batch.append(feed.as_seen_by(identity, event))
                        sent = event.id
                    elif event.id > sent + 1:
                        # Something lies between (the reader began past it): the log has it, and the rest.
                        behind = True
                        break
                if batch:
                    yield batch
        finally:
            shop.streams.discard(queue)
            if not shop.streams:
                shop.task.cancel()
                del self.shops[shop.shop_id]

    async def replay(self, shop_id: int, after: int) -> AsyncIterator[list[Event]]:
        """The shop's events after `after` from the log, a page at a time."""
        while True:
            events = await self.read(feed.read_after, shop_id, after)
            if events:
                yield events
            if len(events) < feed.PAGE:
                return
            after = events[-1].id

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
        for shop in self.shops.values():
            shop.task.cancel()
        self.readers.shutdown(wait=False, cancel_futures=True)
