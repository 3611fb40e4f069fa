"""Local servers that play the message channels in tests: an HTTP server for the WeCom,
DingTalk and generic webhooks, and an SMTP server (aiosmtpd)."""

from __future__ import annotations

import json
import socket
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Hit:
    """One request the robot server received."""

    path: str
    query: dict[str, str]
    headers: dict[str, str]
    raw: bytes

    @property
    def json(self) -> dict:
        """Return the request body as JSON."""
        return json.loads(self.raw.decode())


@dataclass
class Robots:
    """The robot server: its base URL, what it received, the replies it is told to give."""

    url: str
    hits: list[Hit] = field(default_factory=list)
    replies: dict[str, list[int]] = field(default_factory=dict)  # path -> statuses to give first
    delay_s: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def on(self, path: str) -> list[Hit]:
        """Return the requests to path."""
        return [h for h in self.hits if h.path == path]


def start_robots() -> tuple[Robots, ThreadingHTTPServer]:
    """Start the robot server on a free port; return it with its state."""
    state = Robots(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            parts = urllib.parse.urlsplit(self.path)
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if state.delay_s:
                time.sleep(state.delay_s)
            with state.lock:
                state.hits.append(Hit(parts.path, dict(urllib.parse.parse_qsl(parts.query)),
                                      {k.lower(): v for k, v in self.headers.items()}, raw))
                planned = state.replies.get(parts.path) or []
                status = planned.pop(0) if planned else 200
            body = json.dumps({"errcode": 0, "errmsg": "ok"} if status == 200
                              else {"error": "boom"}).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            """Keep test output quiet."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return state, server


def free_port() -> int:
    """Return a TCP port free on 127.0.0.1 just now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class MailBox:
    """The aiosmtpd handler: keeps every message received, parsed."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], EmailMessage]] = []

    async def handle_DATA(self, server, session, envelope) -> str:
        """Store the message and accept it."""
        self.messages.append((list(envelope.rcpt_tos),
                              message_from_bytes(envelope.content, policy=policy.default)))
        return "250 OK"
