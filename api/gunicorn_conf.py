"""gunicorn settings used by ``targeting serve``: Prometheus samples of exited workers are dropped."""

from __future__ import annotations

from typing import Any

from prometheus_client import multiprocess


def child_exit(server: Any, worker: Any) -> None:
    multiprocess.mark_process_dead(worker.pid)
