"""One airline message taken from a broker or a folder, evaluated and recorded exactly once.

The message's travellers go through the same pipeline as ``POST /v1/manifests/paxlst`` and
``/v1/manifests/pnrgov``, as a system actor of one agency: joined with their flight's other message
into journeys, each journey the message changed evaluated (``api.sources.joining``). The decisions
are not handed to the decision recorder, which may park them in its spool while the store is down:
they are committed with the message's digest and what it changed of its flights in one transaction
(``IngestStore.record_message``), and the transport acknowledges the message only after that.

Why this is exactly once, for any point at which a worker is killed:

- before the commit: nothing of the message is in the store and the broker never saw an
  acknowledgement, so it delivers the message again (to this or another worker), whole;
- after the commit, before the acknowledgement reached the broker: the message comes again, its
  digest is found (``ingested``), and it is acknowledged without being evaluated;
- two workers holding the same bytes at once (the airline sent them twice): both evaluate, the
  digest's primary key lets one commit and the other's transaction writes nothing
  (``record_message`` is False), so its decisions are dropped.

The decisions, the flights' changes and the digest are one commit, so no order of events records one
without the others (a journey marked evaluated always has its decision). Two messages of one flight
committed at once by two workers: the second finds the flight moved and joins again (``FlightChanged``).
A message is identified by the SHA-256 of its body: the same bytes sent again are the same message.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass

from api.common import Actor
from api.container import Services
from api.evaluations.interface import DecisionRecord
from api.http.fields import SubmittedPassenger
from api.ingest.interface import KINDS, IngestedMessage, message_digest
from api.sources.interface import FlightUpdate
from api.sources.joining import Message, receive
from engine import RecordError, check_record
from engine.language import AGENCIES
from messages.journey import API, PNR
from messages.paxlst import PaxlstError, read_paxlst
from messages.pnrgov import PnrgovError, read_pnrgov

EVALUATED, DUPLICATE, DEAD = "evaluated", "duplicate", "dead_lettered"
#: The message type named in the interchange header: UNH+<reference>+PAXLST:D:05B... (separators vary).
_UNH = re.compile(rb"UNH.{1,40}?(PAXLST|PNRGOV)", re.S)
_MAX_REASON = 500  # a header, not a report: the reader's first fatal problem is enough


@dataclass(frozen=True)
class Outcome:
    """What became of a message: ``evaluated`` (its decisions committed), ``duplicate`` (committed
    before: nothing done) or ``dead_lettered`` (unreadable, with the reason)."""

    status: str
    digest: str
    kind: str | None = None
    travellers: int = 0
    reason: str | None = None


class Unreadable(Exception):
    """The message cannot be evaluated: no kind, no agency, or its reader gave up. Never holds personal data."""


def message_kind(body: bytes, declared: str | None = None) -> str:
    """``paxlst`` or ``pnrgov``: as declared (the AMQP ``type`` property, a file's suffix) and as the
    message's UNH segment names it; either alone is enough, but they must agree."""
    # UTF-16 bodies (the readers accept them) read as ASCII once their zero bytes are dropped.
    found = _UNH.search(body[:8192].replace(b"\x00", b"").upper())
    named = found.group(1).decode().lower() if found else None
    if declared:
        kind = declared.strip().lower()
        if kind not in KINDS:
            raise Unreadable(f"unknown_message_type: {declared[:40]!r} is not one of {', '.join(KINDS)}")
        if named is not None and named != kind:
            raise Unreadable(f"type_mismatch: sent as {kind}, but its UNH segment names {named}")
        return kind
    if named is None:
        raise Unreadable("unknown_message_type: no UNH segment naming PAXLST or PNRGOV, and no type given")
    return named


class MessageHandler:
    """Evaluates messages for the agency given when the worker started, else the one each message names.

    ``agency`` fixed (``targeting ingest --agency customs``): every message is that agency's and a
    message's own agency is ignored. Not fixed: each message must name one of the agencies (the
    ``agency`` header), or it is dead-lettered; only systems that may submit for any agency should
    then be able to publish to the queue.
    """

    def __init__(self, services: Services, agency: str | None, worker: str = "ingest") -> None:
        if agency is not None and agency not in AGENCIES:
            raise ValueError(f"unknown agency {agency!r}: one of {', '.join(AGENCIES)}")
        self._services = services
        self._agency = agency
        self._worker = worker

    def handle(self, body: bytes, *, kind: str | None = None, agency: str | None = None) -> Outcome:
        """Evaluate and commit ``body`` unless it was before. ``Unavailable`` (the store is down) and
        engine failures propagate: nothing is committed, and the caller keeps the message to try again."""
        digest = message_digest(body)
        if self._services.ingest.ingested(digest) is not None:
            return Outcome(DUPLICATE, digest)
        try:
            kind = message_kind(body, kind)
            actor = self._actor(agency)
            read = self._read(kind, body)
        except Unreadable as exc:
            return Outcome(DEAD, digest, kind, reason=str(exc)[:_MAX_REASON])
        message = IngestedMessage(digest, kind, actor.agency, len(read.passengers), dt.datetime.now(dt.UTC))

        def commit(flights: Sequence[FlightUpdate], decisions: Sequence[DecisionRecord]) -> bool:
            return self._services.ingest.record_message(message, decisions, flights)

        # One ruleset for the whole message.
        with self._services.rulesets.use() as loaded:
            _, recorded = receive(self._services, loaded, actor, read, commit)
        if not recorded:
            return Outcome(DUPLICATE, digest, kind)  # another worker committed the same bytes meanwhile
        return Outcome(EVALUATED, digest, kind, message.travellers)

    def _actor(self, named: str | None) -> Actor:
        agency = self._agency or (named or "").strip().lower()
        if not agency:
            raise Unreadable("no_agency: the message names no agency and the worker has none (--agency)")
        if agency not in AGENCIES:
            raise Unreadable(f"unknown_agency: {agency[:40]!r} is not one of {', '.join(AGENCIES)}")
        return Actor("ingest", f"{self._worker} ({agency})", agency, frozenset({"system"}))

    def _read(self, kind: str, body: bytes) -> Message:
        try:
            if kind == "paxlst":
                paxlst = read_paxlst(body)
                records, source, crew_list = paxlst.manifest, API, paxlst.message_type == "crew"
            else:
                records = read_pnrgov(body, hash_key=self._services.identity_key).manifest
                source, crew_list = PNR, False
        except (PaxlstError, PnrgovError) as exc:
            # The reason's code and message only: the segment text can hold names.
            why = exc.reason
            raise Unreadable(f"{exc.code}: segment {why.segment_number}: {why.code}: {why.message}") from None
        try:
            # The readers only emit records that pass the catalogue check; a failure here is a reader bug.
            passengers = [SubmittedPassenger(raw, check_record(raw)) for raw in records]
        except RecordError as exc:
            raise Unreadable(f"{exc.code}: a record read from the message does not fit the catalogue") from None
        return Message(source, passengers, crew_list)
