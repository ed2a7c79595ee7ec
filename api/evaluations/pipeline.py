"""Evaluating submitted passengers: cache, engine, decisions, hits.

The cache key is the ruleset version, the watchlist version (when a rule tests the list),
the evaluation day (rule validity is by day) and a hash of the checked record, so a new
ruleset or list never serves an old result. Each passenger
evaluated, from the cache or not, becomes a recorded decision holding a keyed hash of
the passenger's identity, never the identity itself.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from api import metrics
from api.common import Actor
from api.container import Services
from api.evaluations.interface import DecisionRecord
from api.http.fields import SubmittedPassenger
from api.rules.rulesets import LoadedRuleset
from api.sharing.policy import Provenance, submitted_by, with_sources
from engine import Evaluation, PassengerRecord, check_record
from engine.values import to_json
from screening import Watchlist

CACHE_PREFIX = "tgt:eval:v2"  # v2: keys hash the typed values (record_digest)
_IDENTITY_FIELDS = (
    "traveller.family_name",
    "traveller.given_names",
    "traveller.date_of_birth",
    "document.number",
    "document.issuing_country",
)


@dataclass(frozen=True)
class JourneyOf:
    """Of a passenger joined from a flight's API and PNR: the identity its journey's decisions are recorded
    under (None: the record's own, ``identity_hash``), and which message gave each field."""

    identity_hash: str | None = None
    sources: Mapping[str, str] | None = None


_SUBMITTED_WHOLE = JourneyOf()


def record_digest(record: PassengerRecord) -> str:
    """The cache key of a checked record: a hash of its typed values.

    ``repr`` of the sorted values is deterministic across processes (strings, integers,
    decimals, dates, UTC datetimes, tuples), and costs a fraction of re-serialising the
    record as JSON. Two spellings of one decimal (``1.0``, ``1.00``) are two keys: a miss,
    never a wrong answer.
    """
    canonical = repr(sorted(record.values.items()))
    return hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).hexdigest()


def identity_hash(record: PassengerRecord, key: bytes) -> str:
    parts = [str(to_json(record.get(name)) or "").casefold().strip() for name in _IDENTITY_FIELDS]
    return hmac.new(key, "\x1f".join(parts).encode("utf-8"), hashlib.sha256).hexdigest()


def _flight(record: PassengerRecord) -> str | None:
    carrier, number = record.get("flight.carrier"), record.get("flight.number")
    return f"{carrier}{number}" if carrier and number else None


def _flight_date(record: PassengerRecord) -> dt.date | None:
    departure = record.get("flight.scheduled_departure")
    return departure.date() if isinstance(departure, dt.datetime) else None


def _match_dicts(loaded: LoadedRuleset, evaluation: Evaluation) -> list[dict[str, Any]]:
    matches = []
    for match in evaluation.matches:
        item = match.as_dict()
        item["rule_version"] = loaded.rule_versions.get(match.rule.id)
        matches.append(item)
    return matches


def _decision_matches(matches: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What a decision records of each match: the rule version, its agency, weight and action."""
    return [
        {
            "rule_id": m["rule_id"],
            "version": m["rule_version"],
            "agency": m["agency"],
            "weight": m["weight"],
            "action": m["action"],
        }
        for m in matches
    ]


def runaway_rules(outcomes: Sequence[dict[str, Any]], share: float, minimum: int) -> list[dict[str, Any]]:
    """Rules matching more than ``share`` of a manifest of at least ``minimum`` passengers."""
    if len(outcomes) < minimum:
        return []
    counts: dict[str, tuple[str, int]] = {}
    for outcome in outcomes:
        for match in outcome["matches"]:
            agency, count = counts.get(match["rule_id"], (match["agency"], 0))
            counts[match["rule_id"]] = (agency, count + 1)
    return [
        {
            "rule_id": rule_id,
            "agency": agency,
            "matched": count,
            "passengers": len(outcomes),
            "share": round(count / len(outcomes), 4),
        }
        for rule_id, (agency, count) in sorted(counts.items())
        if count / len(outcomes) > share
    ]


def evaluate_passengers(
    services: Services,
    loaded: LoadedRuleset,
    passengers: Sequence[SubmittedPassenger],
    at: dt.datetime | None,
    actor: Actor,
    share: bool = True,
    provenance: Sequence[Provenance] | None = None,
    record_decisions: Callable[[Sequence[DecisionRecord]], object] | None = None,
    journeys: Sequence[JourneyOf | None] | None = None,
) -> dict[str, Any]:
    """Evaluate, record decisions and hits; the results show what the sharing policy lets ``actor`` see.

    ``provenance`` says, per passenger, which agency gave each field (default: ``actor``'s
    agency gave all of it); each reason keeps it, so that every view of the match shows
    a value only to those the policy shows that agency's contribution. ``share=False``
    returns every match (for callers that store the result and apply the policy when it is
    read, as journey profiles do). ``record_decisions`` takes the decisions instead of the decision recorder
    (the ingest worker commits them with its message, ``api.ingest.handler``). ``journeys`` says, per
    passenger joined from a flight's API and PNR (``api.sources``), the identity its decisions are
    recorded under and which message gave each field (None: a passenger submitted whole).
    """
    started = time.perf_counter()
    now = dt.datetime.now(dt.UTC)
    when = (at or now).astimezone(dt.UTC)
    day = when.date().isoformat()
    ttl = services.settings.cache_ttl_seconds
    checked = [passenger.record for passenger in passengers]
    uses_watchlist = loaded.evaluator.ruleset.watchlist_floor is not None
    watchlist = services.watchlists.current if uses_watchlist else None
    listed = watchlist.version if watchlist is not None else "-"
    keys = [f"{CACHE_PREFIX}:{loaded.version}:{listed}:{day}:{record_digest(record)}" for record in checked]
    found: list[dict[str, Any] | None] = [
        orjson.loads(value) if value is not None else None for value in services.cache.get_many(keys)
    ]
    misses = [n for n, hit in enumerate(found) if hit is None]
    if misses:
        # One engine round trip for every passenger not in the cache.
        restarts = getattr(loaded.evaluator, "restarts", 0)
        try:
            evaluations = loaded.evaluator.evaluate_batch([checked[n] for n in misses], when, watchlist)
        finally:
            metrics.ENGINE_RESTARTS.inc(getattr(loaded.evaluator, "restarts", 0) - restarts)
        fresh = {}
        for n, evaluation in zip(misses, evaluations, strict=True):
            found[n] = {"matches": _match_dicts(loaded, evaluation), "score": evaluation.score}
            fresh[keys[n]] = orjson.dumps(found[n]).decode()
        services.cache.set_many(fresh, ttl)
    metrics.CACHE_HITS.inc(len(checked) - len(misses))
    metrics.CACHE_MISSES.inc(len(misses))
    metrics.EVALUATIONS.labels("true").inc(len(checked) - len(misses))
    metrics.EVALUATIONS.labels("false").inc(len(misses))
    missed = set(misses)
    policy = services.sharing.policy()
    provenance = provenance or [submitted_by(actor.agency)] * len(passengers)
    results: list[dict[str, Any]] = []
    decisions: list[DecisionRecord] = []
    for n, (passenger, record) in enumerate(zip(passengers, checked, strict=True)):
        outcome = found[n]
        assert outcome is not None
        score, from_cache = outcome["score"], n not in missed
        journey = (journeys[n] if journeys is not None else None) or _SUBMITTED_WHOLE
        matches = with_sources(outcome["matches"], provenance[n])
        decision_id = str(uuid.uuid4())
        visible, hidden = policy.matches_for(actor, matches) if share else (matches, 0)
        flight, flight_date = _flight(record), _flight_date(record)
        placed = flight is not None and flight_date is not None
        results.append(
            {
                "decision_id": decision_id,
                "passenger_id": record.passenger_id,
                # Unplaced (null): on no flight's priority list, but on GET /v1/flights/unplaced.
                "flight": flight if placed else None,
                "flight_date": flight_date.isoformat() if placed and flight_date else None,
                "score": score,
                "cached": from_cache,
                "matches": visible,
                "other_agency_matches": hidden,
            }
        )
        decisions.append(
            DecisionRecord(
                id=decision_id,
                created_at=now,
                evaluated_at=when,
                ruleset_seq=loaded.seq,
                ruleset_version=loaded.version,
                agency=actor.agency,
                submitted_by=actor.key_id,
                passenger_ref=record.passenger_id,
                identity_hash=journey.identity_hash or identity_hash(record, services.identity_key),
                matches=_decision_matches(matches),
                score=score,
                cached=from_cache,
                record=passenger.raw,
                flight=flight,
                flight_date=flight_date,
                watchlist_version=watchlist.version if watchlist is not None else None,
                explanations={m["rule_id"]: m["why"] for m in matches},
                sources=journey.sources,
            )
        )
    (record_decisions or services.decisions.record)(decisions)
    settings = services.settings
    runaway, _ = policy.matches_for(
        actor,
        runaway_rules([f for f in found if f is not None], settings.runaway_share, settings.runaway_min_passengers),
    )
    metrics.EVALUATION_SECONDS.observe(time.perf_counter() - started)
    return {
        "ruleset_version": loaded.version,
        "ruleset_seq": loaded.seq,
        "watchlist_version": watchlist.version if watchlist is not None else None,
        "evaluated_at": when.isoformat().replace("+00:00", "Z"),
        "results": results,
        "runaway_rules": runaway,
    }


def replay(loaded: LoadedRuleset, decision: DecisionRecord, watchlist: Watchlist | None) -> list[dict[str, Any]]:
    """The matches the decision's ruleset gives today for the recorded passenger.

    Watchlist rules screen against the list as it is now (earlier list versions are not
    kept), so a replay of such a decision can differ where the list changed.
    """
    record = check_record(decision.record or {})
    evaluation = loaded.evaluator.evaluate(record, decision.evaluated_at, watchlist)
    return _decision_matches(_match_dicts(loaded, evaluation))
