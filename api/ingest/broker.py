"""Taking airline messages from RabbitMQ (AMQP 0-9-1, pika): the queues, and the worker's loop.

Topology (every worker and publisher declares it; declaring is idempotent):

- ``INGEST_QUEUE`` (default ``targeting.ingest``): durable, messages persistent; its
  ``x-dead-letter-exchange`` is the dead-letter exchange, so a message the broker itself drops
  (a length limit, a TTL, a reject) is kept too;
- ``<queue>.dead``: a durable fanout exchange and the durable queue bound to it, holding each
  unreadable message as it came, with ``x-ingest-reason`` (why: the reader's code and message, never
  the segment text, which can hold names) and ``x-ingest-digest`` headers.

A publisher sends the raw message as the body, persistent (``delivery_mode=2``), ideally with
``type`` (``PAXLST`` or ``PNRGOV``; else the UNH segment says), ``timestamp`` (for the lag metric)
and, for a worker started without ``--agency``, an ``agency`` header.

Several workers may consume one queue: each holds at most ``INGEST_PREFETCH`` messages
unacknowledged, and the broker gives the rest to the others; a killed worker's messages go back to
the queue. The channel is transactional (``tx.select``): a message's acknowledgement, and for an
unreadable one its copy to the dead-letter queue, take effect together at ``tx.commit`` or not at
all, so a worker killed between the two neither loses the message nor dead-letters it twice. The
acknowledgement is sent only after the decisions are committed (``api.ingest.handler`` says why
that is exactly once).
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pika
from pika.adapters.blocking_connection import BlockingChannel, BlockingConnection
from pika.exceptions import AMQPError, ChannelClosedByBroker

from api.common import Unavailable
from api.ingest import metrics
from api.ingest.handler import DEAD, MessageHandler, Outcome
from api.ingest.interface import message_digest

log = logging.getLogger(__name__)
SAMPLE_SECONDS = 5.0  # how often the queues' depth is read
ATTEMPTS = 3  # a message the engine or a bug fails this often in a row is dead-lettered, not retried forever


class BrokerSetupError(Exception):
    """The broker refused the queues as configured (e.g. declared before with other arguments)."""


@dataclass(frozen=True)
class Topology:
    """The ingest queue and its dead-letter exchange and queue (both named ``<queue>.dead``)."""

    queue: str

    @property
    def dead_letter(self) -> str:
        return f"{self.queue}.dead"

    def declare(self, channel: BlockingChannel) -> None:
        channel.exchange_declare(self.dead_letter, exchange_type="fanout", durable=True)
        channel.queue_declare(self.dead_letter, durable=True)
        channel.queue_bind(self.dead_letter, self.dead_letter)
        channel.queue_declare(self.queue, durable=True, arguments={"x-dead-letter-exchange": self.dead_letter})

    def delete(self, channel: BlockingChannel) -> None:
        """Remove the three (tests, and tearing a deployment down)."""
        channel.queue_delete(self.queue)
        channel.queue_delete(self.dead_letter)
        channel.exchange_delete(self.dead_letter)


def publish(channel: BlockingChannel, queue: str, body: bytes, kind: str | None = None, **headers: Any) -> None:
    """Send one message to ``queue`` as a publisher should: persistent, typed, timestamped."""
    properties = pika.BasicProperties(
        delivery_mode=pika.DeliveryMode.Persistent,
        type=kind.upper() if kind else None,
        timestamp=int(time.time()),
        headers=headers or None,
    )
    channel.basic_publish("", queue, body, properties)


def _text(value: Any) -> str | None:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return value if isinstance(value, str) else None


class BrokerWorker:
    """Consumes ``topology.queue`` until ``stop`` is set, reconnecting when the broker goes away."""

    def __init__(
        self, handler: MessageHandler, url: str, topology: Topology, prefetch: int, stop: threading.Event
    ) -> None:
        self._handler = handler
        self._parameters = pika.URLParameters(url)
        self._topology = topology
        self._prefetch = max(prefetch, 1)
        self._stop = stop
        self._sampled = 0.0

    def run(self) -> None:
        pause = 1.0
        while not self._stop.is_set():
            try:
                self._consume()
                pause = 1.0
            except BrokerSetupError:
                raise
            except AMQPError as exc:
                # The broker restarted or is not up yet: unacknowledged messages are back in the queue.
                log.warning("broker unavailable; reconnecting", extra={"error": type(exc).__name__, "seconds": pause})
                self._stop.wait(pause)
                pause = min(pause * 2, 30.0)

    def _consume(self) -> None:
        connection = BlockingConnection(self._parameters)
        try:
            channel = connection.channel()
            try:
                self._topology.declare(channel)
            except ChannelClosedByBroker as exc:
                raise BrokerSetupError(f"the broker refused the queue {self._topology.queue}: {exc}") from None
            channel.basic_qos(prefetch_count=self._prefetch)
            channel.tx_select()
            log.info("consuming", extra={"queue": self._topology.queue, "prefetch": self._prefetch})
            for method, properties, body in channel.consume(self._topology.queue, inactivity_timeout=1.0):
                self._sample(channel)
                if self._stop.is_set():
                    break
                if method is None:
                    continue
                self._take(connection, channel, method, properties, body)
            if channel.is_open:
                channel.cancel()  # the messages prefetched but not taken go back to the queue
        finally:
            if connection.is_open:
                connection.close()

    def _take(
        self,
        connection: BlockingConnection,
        channel: BlockingChannel,
        method: Any,
        properties: pika.BasicProperties,
        body: bytes,
    ) -> None:
        started = time.perf_counter()
        if properties.timestamp:
            metrics.LAG.set(max(time.time() - properties.timestamp, 0.0))
        headers: Mapping[str, Any] = properties.headers or {}
        outcome = self._outcome(connection, body, properties.type, _text(headers.get("agency")))
        if outcome is None:
            return  # stopping while the store is down: not acknowledged, so the broker delivers it again
        if outcome.status == DEAD:
            log.warning("message dead-lettered", extra={"digest": outcome.digest, "reason": outcome.reason})
            channel.basic_publish(
                self._topology.dead_letter, self._topology.queue, body, self._dead(properties, outcome)
            )
        channel.basic_ack(method.delivery_tag)
        channel.tx_commit()  # the acknowledgement and the dead-letter copy together, or neither
        metrics.MESSAGES.labels(outcome.status).inc()
        metrics.TRAVELLERS.inc(outcome.travellers)
        metrics.MESSAGE_SECONDS.observe(time.perf_counter() - started)
        log.info(
            "message taken",
            extra={"outcome": outcome.status, "kind": outcome.kind, "travellers": outcome.travellers},
        )

    def _outcome(
        self, connection: BlockingConnection, body: bytes, kind: str | None, agency: str | None
    ) -> Outcome | None:
        """The handler's outcome; while the store is down, tries again (None once asked to stop)."""
        pause, failures = 0.5, 0
        while True:
            try:
                return self._handler.handle(body, kind=kind, agency=agency)
            except Unavailable:
                log.warning("store unavailable; the message waits", extra={"seconds": pause})
            except Exception as exc:  # the engine failed, or a bug: a few tries, then the dead-letter queue
                failures += 1
                log.exception("message failed", extra={"error": type(exc).__name__, "attempt": failures})
                if failures >= ATTEMPTS:
                    return Outcome(
                        DEAD, message_digest(body), reason=f"failed: {type(exc).__name__} on {failures} attempts"
                    )
            if self._stop.is_set():
                return None
            connection.sleep(pause)  # keeps the connection's heartbeats going meanwhile
            pause = min(pause * 2, 10.0)

    def _dead(self, properties: pika.BasicProperties, outcome: Outcome) -> pika.BasicProperties:
        headers = dict(properties.headers or {})
        headers.update(
            {
                "x-ingest-reason": outcome.reason or "",
                "x-ingest-digest": outcome.digest,
                "x-ingest-queue": self._topology.queue,
                "x-ingest-at": dt.datetime.now(dt.UTC).isoformat(),
            }
        )
        return pika.BasicProperties(
            delivery_mode=pika.DeliveryMode.Persistent,
            content_type=properties.content_type,
            type=properties.type,
            timestamp=properties.timestamp,
            message_id=properties.message_id,
            correlation_id=properties.correlation_id,
            app_id=properties.app_id,
            headers=headers,
        )

    def _sample(self, channel: BlockingChannel) -> None:
        now = time.monotonic()
        if now - self._sampled < SAMPLE_SECONDS:
            return
        self._sampled = now
        for name in (self._topology.queue, self._topology.dead_letter):
            found = channel.queue_declare(name, passive=True).method
            metrics.QUEUE_DEPTH.labels(name).set(found.message_count)
            metrics.QUEUE_CONSUMERS.labels(name).set(found.consumer_count)
