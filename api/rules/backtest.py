"""Backtesting a rule version over passengers already evaluated, before it is approved.

The version is compiled alone and run over the newest retained record of each passenger
journey in the window, exactly as activation and re-evaluation would run it (same time,
same watchlist), but nothing is recorded: no decision, no hit, no cache entry.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

from api.common import Unprocessable
from api.container import Services
from engine import PackSource, RecordError, check_record, compile_packs
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
    version = services.rule_store.version(rule_id, number)
    agency = services.rule_store.rule_agency(rule_id)
    ruleset = compile_packs([PackSource(f"{rule_id}@{number}", {"agency": agency, "rules": [version["content"]]})])
    watchlist = services.watchlists.current if ruleset.watchlist_floor is not None else None
    decisions = services.decision_store.retained_decisions(since, until)
    when = at or now
    evaluator: BaseEvaluator = (
        IsolatedEvaluator(ruleset, settings.engine_timeout_seconds) if settings.engine_isolation else Evaluator(ruleset)
    )
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
        "since": since.isoformat(),
        "until": until.isoformat(),
        "evaluated": sum(evaluated.values()),
        "matched": sum(matched.values()),
        "flights": flights,
        "sample": sample,
    }
