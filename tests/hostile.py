"""Hostile HTTP servers on 127.0.0.1 (raw sockets, so that they can misbehave): each
connection's request is read, then ``behave(sock)`` does what it likes. ``sent`` counts
the bytes it managed to send before the client went away."""

from __future__ import annotations

import contextlib
import gzip
import socket
import threading
from collections.abc import Callable


class Hostile:
    def __init__(self, behave: Callable[[socket.socket, Hostile], None]) -> None:
        self.behave = behave
        self.sent = 0
        self.requests = 0
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(8)
        self.port = self.listener.getsockname()[1]
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def url(self, path: str = "/feed.ics") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def _serve(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._one, args=(conn,), daemon=True).start()

    def _one(self, conn: socket.socket) -> None:
        with conn:
            data = b""
            while b"\r\n\r\n" not in data:
                chunk = conn.recv(65536)
                if not chunk:
                    return
                data += chunk
            head, _, body = data.partition(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            while len(body) < length:
                chunk = conn.recv(65536)
                if not chunk:
                    return
                body += chunk
            self.requests += 1
            with contextlib.suppress(OSError):
                self.behave(conn, self)

    def send(self, conn: socket.socket, data: bytes) -> None:
        conn.sendall(data)
        self.sent += len(data)

    def close(self) -> None:
        self.stop.set()
        self.listener.close()


def endless(status: str, headers: str = "", piece: bytes = b"x" * 65536):
    """A body that never ends (Content-Length of 1 GiB)."""

    def behave(conn: socket.socket, server: Hostile) -> None:
        server.send(conn, f"HTTP/1.1 {status}\r\nContent-Length: {2**30}\r\n{headers}\r\n".encode())
        while not server.stop.is_set():
            server.send(conn, piece)

    return behave


def bomb(megabytes: int, status: str = "200 OK") -> Callable[[socket.socket, Hostile], None]:
    """gzip that decodes to ``megabytes`` MiB of zeros: a member of 1 MiB (1 KiB on the
    wire) repeated (a gzip stream may hold several members)."""
    member = gzip.compress(b"\0" * 2**20, 9)
    body = member * megabytes

    def behave(conn: socket.socket, server: Hostile) -> None:
        head = (
            f"HTTP/1.1 {status}\r\nContent-Type: application/json\r\n"
            f"Content-Encoding: gzip\r\nContent-Length: {len(body)}\r\n\r\n"
        )
        server.send(conn, head.encode())
        server.send(conn, body)

    return behave


def drip(every: float, status_line: bool = False) -> Callable[[socket.socket, Hostile], None]:
    """One byte each ``every`` seconds: of the body, or (``status_line``) of the headers."""

    def behave(conn: socket.socket, server: Hostile) -> None:
        head = f"HTTP/1.1 200 OK\r\nContent-Length: {2**20}\r\n\r\n".encode()
        if not status_line:
            server.send(conn, head)
            head = b"x" * 2**20
        for i in range(len(head)):
            if server.stop.wait(every):
                return
            server.send(conn, head[i : i + 1])

    return behave


def answer(
    status: str, headers: str = "", body: bytes = b""
) -> Callable[[socket.socket, Hostile], None]:
    def behave(conn: socket.socket, server: Hostile) -> None:
        head = f"HTTP/1.1 {status}\r\nContent-Length: {len(body)}\r\n{headers}\r\n"
        server.send(conn, head.encode() + body)

    return behave
