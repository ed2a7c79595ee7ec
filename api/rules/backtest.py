"""Running a rule version that is not live: a backtest over passengers already evaluated, and a
try on sample passengers, both before the version is approved.

The version is compiled alone and run exactly as activation and re-evaluation would run it
(same time, same watchlist), but nothing is recorded: no decision, no hit, no cache entry.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence
from typing import Any

from api.common import Actor, NotFound, Unprocessable, iso_utc
from api.container import Services
from engine import CompiledRuleset, PackSource, PassengerRecord, RecordError, check_record, compile_packs
from engine.evaluation import BaseEvaluator, Evaluator
from engine.isolation import IsolatedEvaluator

SAMPLE_SIZE = 5
BATCH = 500


def backtest(
    services: Services,
    rule_id: str,
    number: int,
    since: dt.datetime | None,
    until: dt.datetime | None,
    at: dt.datetime | None,
) -> dict[str, Any]:
    settings = services.settings
    now = dt.datetime.now(dt.UTC)
    retention_start = now - dt.timedelta(days=settings.record_retention_days)
    since = max(since or retention_start, retention_start)
    until = min(until or now, now)
    if until <= since:
        raise Unprocessable("the window is empty", "invalid_window", {"until": ["must be after since"]})
    ruleset = _draft(services, rule_id, number)
    watchlist = services.watchlists.current if ruleset.watchlist_floor is not None else None
    decisions = services.decision_store.retained_decisions(since, until)
    when = at or now
    evaluator = _evaluator(services, ruleset)
    evaluated: Counter[tuple[str | None, str | None]] = Counter()
    matched: Counter[tuple[str | None, str | None]] = Counter()
    sample: list[dict[str, Any]] = []
    with evaluator:
        for start in range(0, len(decisions), BATCH):
            chunk = []
            for decision in decisions[start : start + BATCH]:
                try:
                    chunk.append((decision, check_record(decision.record or {})))
                except RecordError:
                    continue  # a record that no longer passes the catalogue cannot be replayed
            results = evaluator.evaluate_batch([record for _, record in chunk], when, watchlist)
            for (decision, _), result in zip(chunk, results, strict=True):
                flight = (decision.flight, decision.flight_date.isoformat() if decision.flight_date else None)
                evaluated[flight] += 1
                if result.matches:
                    matched[flight] += 1
                    if len(sample) < SAMPLE_SIZE:
                        sample.append(
                            {
                                "decision_id": decision.id,
                                "passenger_id": decision.passenger_ref,
                                "flight": flight[0],
                                "date": flight[1],
                                "why": [reason.as_dict() for reason in result.matches[0].why],
                            }
                        )
    flights = [
        {"flight": flight, "date": day, "evaluated": count, "matched": matched[(flight, day)]}
        for (flight, day), count in sorted(evaluated.items(), key=lambda item: (item[0][0] or "", item[0][1] or ""))
    ]
    return {
        "rule_id": rule_id,
        "version": number,
        "since": iso_utc(since),
        "until": iso_utc(until),
        "evaluated": sum(evaluated.values()),
        "matched": sum(matched.values()),
        "flights": flights,
        "sample": sample,
    }


def try_version(
    services: Services,
    rule_id: str,
    number: int,
    actor: Actor,
    passengers: Sequence[PassengerRecord],
    decision_ids: Sequence[str],
    at: dt.datetime | None,
) -> dict[str, Any]:
    """What the version says of each sample passenger (given, or the record of a decision the
    caller's agency made): whether it matches, and why. Nothing is recorded."""
    records = list(passengers)
    for decision_id in decision_ids:
        decision = services.decision_store.decision(decision_id)
        if decision.agency != actor.agency or decision.record is None:
            # Another agency's passenger, or one past retention: as if there were none.
            raise NotFound(f"no retained decision {decision_id} of {actor.agency}", "decision_not_found")
        records.append(check_record(decision.record))
    ruleset = _draft(services, rule_id, number)
    watchlist = services.watchlists.current if ruleset.watchlist_floor is not None else None
    with _evaluator(services, ruleset) as evaluator:
        results = evaluator.evaluate_batch(records, at or dt.datetime.now(dt.UTC), watchlist)
    return {
        "rule_id": rule_id,
        "version": number,
        "results": [
            {
                "passenger_id": result.passenger_id,
                "matched": bool(result.matches),
                "why": [reason.as_dict() for reason in result.matches[0].why] if result.matches else [],
            }
            for result in results
        ],
    }


def _draft(services: Services, rule_id: str, number: int) -> CompiledRuleset:
    version = services.rule_store.version(rule_id, number)
    agency = services.rule_store.rule_agency(rule_id)
    return compile_packs([PackSource(f"{rule_id}@{number}", {"agency": agency, "rules": [dict(version.content)]})])


def _evaluator(services: Services, ruleset: CompiledRuleset) -> BaseEvaluator:
    settings = services.settings
    if settings.engine_isolation:
        return IsolatedEvaluator(ruleset, settings.engine_timeout_seconds)
    return Evaluator(ruleset)
