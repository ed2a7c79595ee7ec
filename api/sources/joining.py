"""Joining a flight's API and PNR as their messages come: one journey per traveller, evaluated once per change.

A message's travellers are held with what the agency holds of their flight, and the journeys they can
change are paired again (``api.sources.holding``). Each journey whose record changed since its last
evaluation is merged from its travellers' records (``messages.journey.merge``, with its
``journey.*`` fields) and evaluated; the others are not. A message sent again changes nothing and
evaluates no one.

What changed is committed with the decisions in one transaction (``commit``: the flight store's, or
the ingest store's with the message's digest). If another message of the flight was committed since
this one read it and changed what it read (``FlightChanged``), the message is joined again.

A journey keeps the passenger id and identity of its first evaluation when it gains its other
traveller, so a traveller whose PNR came first is still one row of the flight's priority list, with
one set of hits, once the API joins them. A record that names no flight (carrier, number, departure)
joins nothing and is evaluated as sent.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from api.common import Actor
from api.container import Services
from api.evaluations.interface import DecisionRecord
from api.evaluations.pipeline import JourneyOf, evaluate_passengers
from api.http.fields import SubmittedPassenger
from api.rules.rulesets import LoadedRuleset
from api.sources.holding import HeldFlight, Journey, Message, flights, update_of
from api.sources.interface import FlightChanged, FlightUpdate, JourneyMark
from engine import PassengerRecord, RecordError, check_record
from messages.journey import merge
from messages.records import drop_field

#: Times a message is joined again when other messages of its flight keep being committed first, and the
#: longest wait before the first of them (then twice, three times... that).
MAX_ATTEMPTS = 8
RETRY_SECONDS = 0.02
T = TypeVar("T")
Commit = Callable[[Sequence[FlightUpdate], Sequence[DecisionRecord]], T]


def receive(
    services: Services, loaded: LoadedRuleset, actor: Actor, message: Message, commit: Commit[T]
) -> tuple[dict[str, Any], T]:
    """Hold, join and evaluate ``message``'s travellers, then ``commit``: the evaluation answer (``results``
    of the journeys evaluated, ``unchanged`` for the message's travellers whose journey was not), and what
    ``commit`` returned."""
    for attempt in range(1, MAX_ATTEMPTS + 1):
        held, unplaced = flights(services, actor.agency, message)
        changed = [(flight, journey) for flight in held for journey in flight.journeys if journey.changed]
        passengers, journeys = _joined(changed)
        decisions: list[DecisionRecord] = []
        response = _evaluate(services, loaded, actor, [*passengers, *unplaced], journeys, decisions.extend)
        for (flight, journey), decision, result in zip(changed, decisions, response["results"], strict=False):
            result["journey"] = _result_journey(flight, journey)
            journey.evaluated = JourneyMark(
                journey.pair.api,
                journey.pair.pnr,
                journey.digest,
                journey.passenger_id,
                decision.identity_hash,
                decision.id,
                journey.pair.matched_by,
                journey.pair.ambiguous,
            )
        response["unchanged"] = [
            {
                "passenger_id": journey.passenger_id,
                "decision_id": journey.previous.decision_id,
                "journey": _result_journey(flight, journey),
            }
            for flight in held
            for journey in flight.journeys
            if not journey.changed and journey.previous is not None and journey.members & set(flight.travellers)
        ]
        try:
            committed = commit([update_of(flight) for flight in held], decisions)
        except FlightChanged:
            if attempt == MAX_ATTEMPTS:
                raise
            # Apart, at random: two workers that collided on a flight do not collide again in step.
            time.sleep(random.uniform(0, RETRY_SECONDS * attempt))  # noqa: S311 (no secret: a wait)
            continue
        return response, committed
    raise AssertionError("unreachable")


def _joined(changed: list[tuple[HeldFlight, Journey]]) -> tuple[list[SubmittedPassenger], list[JourneyOf | None]]:
    """The record of each changed journey, checked, and its identity and sources."""
    passengers: list[SubmittedPassenger] = []
    journeys: list[JourneyOf | None] = []
    for flight, journey in changed:
        if not journey.members <= set(flight.records):
            # A traveller's record went between the flight's reads (expired): join again.
            raise FlightChanged("the flight's messages changed while this one was joined; try again")
        api = flight.records[journey.pair.api] if journey.pair.api else None
        pnr = flight.records[journey.pair.pnr] if journey.pair.pnr else None
        merged, sources = merge(api, pnr)
        raw = {"passenger_id": journey.passenger_id, **merged, "journey": journey.fields}
        record = _checked(raw, sources)
        passengers.append(SubmittedPassenger(raw, record))
        journeys.append(JourneyOf(journey.kept.identity_hash if journey.kept else None, sources))
    return passengers, journeys


def _checked(raw: dict[str, Any], sources: dict[str, str]) -> PassengerRecord:
    """The merged record checked. Each message's record passed alone; a field the two make wrong together
    (a date of birth after the other's arrival) is dropped, as the readers drop what does not fit."""
    for _ in range(10):
        try:
            return check_record(raw)
        except RecordError as exc:
            for problem in exc.problems:
                if not drop_field(raw, problem.path):
                    raise
                sources.pop(problem.path, None)
    return check_record(raw)


# --- evaluating and what is written ---------------------------------------------------------


def _evaluate(
    services: Services,
    loaded: LoadedRuleset,
    actor: Actor,
    passengers: list[SubmittedPassenger],
    journeys: list[JourneyOf | None],
    record: Callable[[Sequence[DecisionRecord]], object],
) -> dict[str, Any]:
    """One evaluation answer for every passenger, in batches no larger than the API takes in one request."""
    limit = max(services.settings.max_manifest_size, 1)
    journeys = journeys + [None] * (len(passengers) - len(journeys))
    answer: dict[str, Any] | None = None
    for start in range(0, max(len(passengers), 1), limit):
        batch = evaluate_passengers(
            services,
            loaded,
            passengers[start : start + limit],
            None,
            actor,
            record_decisions=record,
            journeys=journeys[start : start + limit],
        )
        if answer is None:
            answer = batch
        else:
            answer["results"] += batch["results"]
            seen = {rule["rule_id"] for rule in answer["runaway_rules"]}
            answer["runaway_rules"] += [r for r in batch["runaway_rules"] if r["rule_id"] not in seen]
    assert answer is not None
    return answer


def _result_journey(flight: HeldFlight, journey: Journey) -> dict[str, Any]:
    """What an answer shows of a journey: its ``journey.*`` fields and its travellers' passenger ids."""
    held = flight.paired
    return {
        **journey.fields,
        "api_passenger_id": held[journey.pair.api].passenger_id if journey.pair.api else None,
        "pnr_passenger_id": held[journey.pair.pnr].passenger_id if journey.pair.pnr else None,
    }
