"""A proxy in front of PostgreSQL that counts round trips: the server's ReadyForQuery messages, one per Sync or simple query.

A client waits for ReadyForQuery at the end of every exchange (a BEGIN, a ping, a statement, or a
pipeline of several statements ended by one Sync), so their number is the round trips it made,
whatever the timing of the bytes on the socket.
"""

import socket
import tempfile
import threading
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy.engine import URL

from tests.pgbouncer import upstream


class RoundTrips:
    """What the proxy saw: round trips since the last reset, over every connection it carried."""

    def __init__(self, url: URL):
        self.url = url
        self._lock = threading.Lock()
        self._count = 0

    def reset(self) -> None:
        with self._lock:
            self._count = 0

    @property
    def count(self) -> int:
        with self._lock:
            return self._count

    def _add_one(self) -> None:
        with self._lock:
            self._count += 1


def _pump(source: socket.socket, target: socket.socket, on_data) -> None:
    try:
        while data := source.recv(65536):
            on_data(data)
            target.sendall(data)
    except OSError:
        pass
    finally:
        for end in (source, target):
            try:
                end.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            end.close()


READY_FOR_QUERY = ord("Z")


def _carry(client: socket.socket, server_path: str, trips: RoundTrips) -> None:
    server = socket.socket(socket.AF_UNIX)
    server.connect(server_path)
    # Every message from the server is a type byte and a length that counts itself (no SSL over a
    # unix socket): split the stream into messages, counted before they are forwarded.
    unread = bytearray()

    def server_spoke(data: bytes) -> None:
        unread.extend(data)
        while len(unread) >= 5:
            length = int.from_bytes(unread[1:5], "big")
            if len(unread) < 1 + length:
                return
            if unread[0] == READY_FOR_QUERY:
                trips._add_one()
            del unread[: 1 + length]

    threading.Thread(target=_pump, args=(server, client, server_spoke), daemon=True).start()
    _pump(client, server, lambda data: None)


@contextmanager
def counting_round_trips(database_url: URL):
    """Yield a RoundTrips whose url leads to `database_url` through the counting proxy (a unix socket)."""
    folder, port = upstream(database_url)
    if not folder.startswith("/"):
        raise RuntimeError("the round-trip proxy needs the server on a unix socket (the embedded one)")
    with tempfile.TemporaryDirectory(prefix="board-round-trips-") as own_folder:
        listener = socket.socket(socket.AF_UNIX)
        listener.bind(str(Path(own_folder) / f".s.PGSQL.{port}"))
        listener.listen()
        trips = RoundTrips(database_url.update_query_dict({"host": own_folder}))

        def accept():
            while True:
                try:
                    client, _ = listener.accept()
                except OSError:
                    return
                target = str(Path(folder) / f".s.PGSQL.{port}")
                threading.Thread(target=_carry, args=(client, target, trips), daemon=True).start()

        threading.Thread(target=accept, daemon=True).start()
        try:
            yield trips
        finally:
            listener.close()
