"""Hostile TCP peers for the Dask tests: servers that are not Dask schedulers."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Callable, Iterator


def silent(conn: socket.socket) -> None:
    """Accepts and never answers."""
    time.sleep(30)


def http(conn: socket.socket) -> None:
    """A web server: waits for a request, answers 400."""
    with contextlib.suppress(OSError):
        conn.recv(4096)
        conn.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")


def garbage(conn: socket.socket) -> None:
    """Speaks first, announcing a message of exabytes."""
    with contextlib.suppress(OSError):
        conn.sendall(b"\xff" * 64)
        time.sleep(5)


def hangs_up(conn: socket.socket) -> None:
    conn.close()


BEHAVIOURS: dict[str, Callable[[socket.socket], None]] = {
    "silent": silent, "http": http, "garbage": garbage, "hangs_up": hangs_up}


@contextlib.contextmanager
def serve(kind: str) -> Iterator[str]:
    """A TCP server on a free local port behaving as ``kind``; yields its tcp:// address."""
    behaviour = BEHAVIOURS[kind]
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    conns: list[socket.socket] = []

    def accept() -> None:
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            conns.append(conn)
            threading.Thread(target=behaviour, args=(conn,), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    try:
        yield f"tcp://127.0.0.1:{server.getsockname()[1]}"
    finally:
        server.close()
        for c in conns:
            with contextlib.suppress(OSError):
                c.close()
