"""A local webhook receiver that records what it got (tests, the latency benchmark, demos).

`Receiver(port).start()` serves POSTs on 127.0.0.1 in a thread and keeps every body
with its arrival time; `behaviour` (a function of the request number) lets a test make
it fail (an HTTP status) or hang (a delay in seconds) before answering.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

OK = ("ok", 0.0)
PORTS = range(7200, 7300)  # this feature's port range on the shared development machine


def free_port(ports: range = PORTS) -> int:
    """The first port of `ports` nobody listens on."""
    import socket

    for port in ports:
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in {ports.start}-{ports.stop - 1}")


class Receiver:
    def __init__(
        self, port: int = 0, behaviour: Callable[[int], tuple[str | int, float]] | None = None
    ) -> None:
        self.received: list[dict[str, Any]] = []  # {"at": epoch s, "body": payload, ...}
        self.requests = 0
        self.behaviour = behaviour or (lambda _n: OK)
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                with receiver._lock:
                    receiver.requests += 1
                    number = receiver.requests
                outcome, delay = receiver.behaviour(number)
                if delay:
                    time.sleep(delay)
                if outcome != "ok":
                    self.send_response(int(outcome))
                    self.end_headers()
                    return
                with receiver._lock:
                    receiver.received.append(
                        {
                            "at": time.time(),
                            "body": json.loads(raw),
                            "key": self.headers.get("Idempotency-Key"),
                            "content_type": self.headers.get("Content-Type"),
                            "authorization": self.headers.get("Authorization"),
                        }
                    )
                self.send_response(200)
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/hook"

    def start(self) -> Receiver:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def alerts(self) -> list[dict[str, Any]]:
        """Every alert received (with the message's arrival time under "received_at")."""
        with self._lock:
            return [
                {**alert, "received_at": item["at"]}
                for item in self.received
                for alert in item["body"]["alerts"]
            ]
