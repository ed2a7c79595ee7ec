"""gunicorn settings used by ``targeting serve`` (and any ``gunicorn -c python:api.gunicorn_conf``).

Settings the service cannot run with stop the master before it forks a worker, with one line
naming the variable (``CONSOLE_SECRET_KEY`` unset with ``REPLICAS`` above 1, a ``*_FILE`` that cannot
be read, ...), instead of every worker failing to boot with a traceback. Prometheus samples of
exited workers are dropped.
"""

from __future__ import annotations

from typing import Any

from prometheus_client import multiprocess

from api.config import SettingError, Settings


def on_starting(server: Any) -> None:
    try:
        Settings.from_env()
    except SettingError as exc:
        # gunicorn prints a RuntimeError from a hook as "Error: ..." and exits 1.
        raise RuntimeError(f"targeting: {exc}") from None


def child_exit(server: Any, worker: Any) -> None:
    multiprocess.mark_process_dead(worker.pid)
