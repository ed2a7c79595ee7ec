"""A live service: gunicorn on a free loopback port, and plain HTTP calls to it."""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    """A loopback port nothing listens on now (the OS's choice)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def reachable(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
        return True
    except OSError:
        return False


def call(
    port: int,
    method: str,
    path: str,
    key: str = "",
    body: Any = None,
    content_type: str = "application/json",
    timeout: float = 60,
) -> tuple[int, bytes, dict[str, str], float]:
    """One request with an API key: status, raw body, headers and seconds taken.

    ``body`` is sent as JSON, or as it is when it is bytes (to send what a client got wrong).
    """
    started = time.perf_counter()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        data = body if isinstance(body, bytes) or body is None else json.dumps(body)
        connection.request(method, path, data, {"X-API-Key": key, "Content-Type": content_type})
        response = connection.getresponse()
        return response.status, response.read(), dict(response.getheaders()), time.perf_counter() - started
    finally:
        connection.close()


@contextlib.contextmanager
def gunicorn(
    env: Mapping[str, str], workers: int, start_seconds: float = 120, config: bool = True
) -> Iterator[tuple[subprocess.Popen[bytes], int]]:
    """``api.wsgi:app`` under gunicorn with ``workers`` workers until the block ends: (process, port).

    ``config`` uses the production hooks (``api.gunicorn_conf``: metrics across workers).
    The server gets its own process group, so nothing of it outlives the block.
    """
    port = free_port()
    command = [sys.executable, "-m", "gunicorn", "--workers", str(workers), "--bind", f"127.0.0.1:{port}"]
    if config:
        command += ["--config", "python:api.gunicorn_conf"]
    server = subprocess.Popen(
        [*command, "api.wsgi:app"],
        cwd=ROOT,
        env=dict(env),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + start_seconds
        while not reachable(port):
            if time.monotonic() > deadline or server.poll() is not None:
                raise RuntimeError("the service did not start")
            time.sleep(0.1)
        yield server, port
    finally:
        server.terminate()
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


def worker_pids(server: subprocess.Popen[bytes]) -> set[int]:
    """The gunicorn master's worker processes (Linux)."""
    children = Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text().split()
    return {int(pid) for pid in children}
