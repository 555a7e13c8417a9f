"""A webhook receiver on 127.0.0.1 that checks every request's signature with the standardwebhooks library."""

import json
import threading
from collections import Counter
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks.webhooks import Webhook as StandardWebhook
from standardwebhooks.webhooks import WebhookVerificationError


@dataclass(frozen=True)
class Received:
    endpoint: str
    webhook_id: str
    body: dict


class Receiver:
    """Endpoints by name, each with its secret and how it answers:

    "ok" 200; "fail-twice" 500 to the first two attempts of each message, then 200; "hang" holds
    every request until release(); "hold-first" holds only the very first request until release().
    """

    def __init__(self):
        self.secrets: dict[str, str] = {}
        self.behaviour: dict[str, str] = {}
        self.received: list[Received] = []
        self.unverified: list[str] = []
        self.attempts: Counter = Counter()
        self.in_flight: Counter = Counter()
        self.most_in_flight: Counter = Counter()
        self.released = threading.Event()
        self.first_held = threading.Event()
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self.handler())
        self.server.daemon_threads = True
        # A short poll interval: shutdown() waits for the loop to look, 0.5 s by default.
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)

    def __enter__(self) -> "Receiver":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.release()
        self.server.shutdown()
        self.server.server_close()

    def release(self) -> None:
        self.released.set()

    def url(self, endpoint: str) -> str:
        return f"http://127.0.0.1:{self.server.server_port}/{endpoint}"

    def expect(self, endpoint: str, secret: str, behaviour: str = "ok") -> str:
        self.secrets[endpoint] = secret
        self.behaviour[endpoint] = behaviour
        return self.url(endpoint)

    def bodies(self, endpoint: str) -> list[dict]:
        with self.lock:
            return [item.body for item in self.received if item.endpoint == endpoint]

    def ids(self, endpoint: str) -> list[str]:
        with self.lock:
            return [item.webhook_id for item in self.received if item.endpoint == endpoint]

    def answer(self, endpoint: str, webhook_id: str) -> int:
        behaviour = self.behaviour[endpoint]
        with self.lock:
            self.attempts[webhook_id] += 1
            attempt = self.attempts[webhook_id]
            first_ever = not self.first_held.is_set()
            if behaviour == "hold-first":
                self.first_held.set()
        if behaviour == "hang" or (behaviour == "hold-first" and first_ever):
            # Until release(), however long: leaving the receiver releases every request it holds. A
            # bound here would answer by itself on a slow enough machine (60 s was reached once).
            self.released.wait()
        if behaviour == "fail-twice" and attempt <= 2:
            return 500
        return 200

    def handler(self):
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                endpoint = self.path.strip("/")
                body = self.rfile.read(int(self.headers["Content-Length"]))
                try:
                    StandardWebhook(receiver.secrets[endpoint]).verify(body, dict(self.headers))
                except (KeyError, WebhookVerificationError):
                    with receiver.lock:
                        receiver.unverified.append(endpoint)
                    self.send_response(400)
                    self.end_headers()
                    return
                webhook_id = self.headers["webhook-id"]
                with receiver.lock:
                    receiver.in_flight[endpoint] += 1
                    receiver.most_in_flight[endpoint] = max(
                        receiver.most_in_flight[endpoint], receiver.in_flight[endpoint]
                    )
                try:
                    status = receiver.answer(endpoint, webhook_id)
                finally:
                    with receiver.lock:
                        receiver.in_flight[endpoint] -= 1
                if status == 200:
                    with receiver.lock:
                        receiver.received.append(Received(endpoint, webhook_id, json.loads(body)))
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        return Handler
