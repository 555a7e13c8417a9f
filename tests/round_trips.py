"""A proxy in front of PostgreSQL that counts round trips: each time a client speaks again after the server answered."""

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
            on_data()
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


def _carry(client: socket.socket, server_path: str, trips: RoundTrips) -> None:
    server = socket.socket(socket.AF_UNIX)
    server.connect(server_path)
    # Who spoke last on this connection. The server's answer is noted before it is forwarded, so
    # the client's next message, which needs that answer, always finds it noted.
    last = ["server"]

    def client_spoke():
        if last[0] == "server":
            trips._add_one()
        last[0] = "client"

    def server_spoke():
        last[0] = "server"

    threading.Thread(target=_pump, args=(server, client, server_spoke), daemon=True).start()
    _pump(client, server, client_spoke)


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
