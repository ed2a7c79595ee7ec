"""``targeting ingest``: evaluate PAXLST and PNRGOV messages taken from RabbitMQ, or from a folder.

    targeting ingest --agency customs --metrics-port 9102     # the queue INGEST_QUEUE on AMQP_URL
    targeting ingest --agency customs --watch /srv/inbox      # files renamed into a folder

Each message is evaluated as ``POST /v1/manifests/...`` evaluates it, by a system actor of
``--agency`` (without it, of the agency each message's ``agency`` header names), and acknowledged
only once its decisions and hits are committed; an unreadable one goes to the dead-letter queue
(``<INGEST_QUEUE>.dead``) with its reason. Run as many workers on one queue as the load needs.
SIGTERM or Ctrl-C finishes the message in hand, returns the prefetched ones to the queue and exits.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import socket
import threading
from pathlib import Path
from typing import Any

from engine.language import AGENCIES
from targeting.cli import CommandError


def add_command(commands: Any) -> None:
    from targeting.service import add_no_migrate_option

    ingest = commands.add_parser(
        "ingest",
        help="evaluate PAXLST and PNRGOV messages from RabbitMQ (AMQP_URL, INGEST_QUEUE) or a folder, each once",
    )
    ingest.add_argument(
        "--agency",
        choices=AGENCIES,
        help="the agency whose system submits the messages (default: the one each message's 'agency' header names)",
    )
    ingest.add_argument("--queue", help="the queue to consume (default: INGEST_QUEUE)")
    ingest.add_argument("--prefetch", type=int, help="messages held unacknowledged at once (default: INGEST_PREFETCH)")
    ingest.add_argument(
        "--metrics-port", type=int, help="serve Prometheus metrics (queue depth, lag, throughput) on HOST:PORT"
    )
    ingest.add_argument(
        "--watch", metavar="DIR", help="take messages from files renamed into DIR instead of the broker (one machine)"
    )
    add_no_migrate_option(ingest)
    ingest.set_defaults(handler=_ingest)


def _ingest(args: argparse.Namespace) -> int:
    from prometheus_client import start_http_server

    from api.ingest.broker import BrokerSetupError, BrokerWorker, Topology
    from api.ingest.folder import FolderWorker
    from api.ingest.handler import MessageHandler
    from api.logging import configure
    from targeting.service import _services, _settings

    settings = _settings()
    configure(settings.log_level)
    # pika logs every socket opened and closed at INFO; its warnings and errors are what operators need.
    logging.getLogger("pika").setLevel(max(logging.WARNING, logging.getLogger().level))
    # Migrated (or found migrated), and refused on memory:// (each process would have its own).
    services = _services(migrate=not args.no_migrate)
    services.rulesets.refresh()
    services.watchlists.refresh()
    services.rulesets.start()
    services.watchlists.start()
    stop = threading.Event()
    for number in (signal.SIGTERM, signal.SIGINT):
        signal.signal(number, lambda *_: stop.set())
    if args.metrics_port:
        start_http_server(args.metrics_port, addr=settings.host)
    handler = MessageHandler(services, args.agency, worker=f"ingest@{socket.gethostname()}:{os.getpid()}")
    queue = args.queue or settings.ingest_queue
    source = f"folder {args.watch}" if args.watch else f"queue {queue}"
    print(
        f"targeting ingest: {source} for {args.agency or 'the agency each message names'} "
        f"(ruleset {services.rulesets.current.seq})",
        flush=True,
    )
    try:
        if args.watch:
            FolderWorker(handler, Path(args.watch), stop).run()
        else:
            worker = BrokerWorker(
                handler, settings.amqp_url, Topology(queue), args.prefetch or settings.ingest_prefetch, stop
            )
            worker.run()
    except BrokerSetupError as exc:
        raise CommandError(str(exc), code="invalid_setting") from None
    finally:
        services.rulesets.stop()
        services.watchlists.stop()
        services.rulesets.current.evaluator.close()
        services.engine.dispose()
    return 0
