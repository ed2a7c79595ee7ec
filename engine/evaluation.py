"""Evaluation: a passenger record against a compiled ruleset, with explanations and a score.

The combined risk score is a "noisy OR" of the matching rules' weights read as
percentages: ``score = 100 * (1 - prod(1 - weight / 100))``, rounded to one decimal. It
is 0 with no match, never exceeds 100, grows with every extra match, and one rule of
weight w alone scores exactly w.
"""

from __future__ import annotations

import datetime as dt
import math
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from engine import durable_adapter
from engine.explanation import Explainer, Reason
from engine.gates import engine_tests
from engine.language import Rule
from engine.records import PassengerRecord, check_record, with_watchlist
from engine.ruleset import CompiledRuleset
from engine.screen import Screen


@dataclass(frozen=True)
class Match:
    rule: Rule
    why: tuple[Reason, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "rule_id": self.rule.id,
            "agency": self.rule.agency,
            "title": self.rule.title,
            "weight": self.rule.weight,
            "action": self.rule.action,
            "why": [reason.as_dict() for reason in self.why],
        }


@dataclass(frozen=True)
class Evaluation:
    passenger_id: str | None
    ruleset_version: str
    matches: tuple[Match, ...]
    watchlist_version: str | None = None  # the list screened against; None when no rule tests it

    @property
    def score(self) -> float:
        return combined_score(match.rule.weight for match in self.matches)

    @property
    def rule_ids(self) -> list[str]:
        return [match.rule.id for match in self.matches]

    def as_dict(self) -> dict[str, Any]:
        return {
            "passenger_id": self.passenger_id,
            "ruleset_version": self.ruleset_version,
            "watchlist_version": self.watchlist_version,
            "score": self.score,
            "matches": [match.as_dict() for match in self.matches],
        }


def combined_score(weights: Iterable[int]) -> float:
    remaining = math.prod(1 - weight / 100 for weight in weights)
    return float(round(100 * (1 - remaining), 1))


class BaseEvaluator:
    """Evaluation on a compiled ruleset; subclasses decide where durable-rules runs."""

    def __init__(self, ruleset: CompiledRuleset) -> None:
        self.ruleset = ruleset

    @property
    def version(self) -> str:
        return self.ruleset.version

    def fire_batch(self, records: Sequence[PassengerRecord]) -> list[dict[int, set[int]]]:
        """For each record: rule position -> the engine rules (branches) of that rule that fired."""
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> BaseEvaluator:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def evaluate(
        self,
        record: PassengerRecord | Mapping[str, Any],
        at: dt.datetime | None = None,
        watchlist: Screen | None = None,
    ) -> Evaluation:
        """Every rule the record matches at ``at`` (default: now), with why; raises ``RecordError``."""
        checked = record if isinstance(record, PassengerRecord) else check_record(record)
        return self.evaluate_batch([checked], at, watchlist)[0]

    def evaluate_batch(
        self,
        records: Sequence[PassengerRecord],
        at: dt.datetime | None = None,
        watchlist: Screen | None = None,
    ) -> list[Evaluation]:
        """Checked records evaluated in one engine round trip (what a manifest wants).

        When a rule tests the joint watchlist, each record is screened against ``watchlist``
        first (no list: no matches, every score 0).
        """
        when = (at or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
        day = when.date()
        screened, version = self.screen(records, watchlist, when)
        return [
            self._assemble(record, fired, day, version)
            for record, fired in zip(screened, self.fire_batch(screened), strict=True)
        ]

    def screen(
        self, records: Sequence[PassengerRecord], watchlist: Screen | None, at: dt.datetime
    ) -> tuple[list[PassengerRecord], str | None]:
        """The records with their ``watchlist.*`` scores set, and the list's version (None: not used)."""
        floor = self.ruleset.watchlist_floor
        if floor is None:
            return list(records), None
        if watchlist is None:
            return [with_watchlist(record, ()) for record in records], None
        # Screen down to the lowest threshold any rule asks for; the list's own threshold is
        # where blocking guarantees it finds every match.
        threshold = min(float(floor), watchlist.min_score)
        day = at.date()
        return [
            with_watchlist(record, watchlist.screen(record, at=day, min_score=threshold)) for record in records
        ], watchlist.version

    def _assemble(
        self, record: PassengerRecord, fired: Mapping[int, set[int]], day: dt.date, watchlist_version: str | None
    ) -> Evaluation:
        matches = []
        for position in sorted(fired):
            compiled = self.ruleset.rules[position]
            if compiled.rule.valid_on(day):
                matches.append(Match(compiled.rule, Explainer(self.ruleset, compiled, record).reasons()))
        return Evaluation(record.passenger_id, self.ruleset.version, tuple(matches), watchlist_version)


class Evaluator(BaseEvaluator):
    """A compiled ruleset loaded into durable-rules in this process. Safe to share between threads."""

    def __init__(self, ruleset: CompiledRuleset) -> None:
        super().__init__(ruleset)
        definitions = [
            durable_adapter.ruleset_definition(
                {
                    f"c{position}_{branch}": engine_tests(conjunction)
                    for position in shard.rules
                    for branch, conjunction in enumerate(ruleset.rules[position].conjunctions)
                }
            )
            for shard in ruleset.shards
        ]
        self._engine = durable_adapter.load(definitions)
        # A ruleset's first fact costs milliseconds (durable-rules builds its session state):
        # pay it at load, not on the first records that happen to visit each ruleset.
        empty = durable_adapter.payload([])
        for engine_ruleset in self._engine:
            engine_ruleset.fire(empty)
        ruleset.prepare()
        # durable-rules never releases the GIL, so one lock costs no parallelism and
        # keeps each assert/drain/retract sequence whole.
        self._lock = threading.Lock()
        self._always = set(ruleset.always)
        self._routed = frozenset(ruleset.routes)
        self._paired = frozenset(ruleset.pair_routes)
        self._seconds = {atom: frozenset(table) for atom, table in ruleset.pair_routes.items()}
        self._fragments = [
            durable_adapter.flag_fragment(flag) for flag in range(len(ruleset.atoms) + len(ruleset.subexpressions))
        ]

    def close(self) -> None:
        """Free the engine rulesets; evaluating afterwards raises ``EngineFailure``."""
        with self._lock:
            for engine_ruleset in self._engine:
                engine_ruleset.close()

    def fire_batch(self, records: Sequence[PassengerRecord]) -> list[dict[int, set[int]]]:
        return [self._fire(record) for record in records]

    def _fire(self, record: PassengerRecord) -> dict[int, set[int]]:
        ruleset = self.ruleset
        true = ruleset.index.true_atoms(record.values)
        visit = set(self._always)
        needed = set(ruleset.always_subexpressions)
        routes, pair_routes = ruleset.routes, ruleset.pair_routes
        route_subs, pair_subs = ruleset.route_subexpressions, ruleset.pair_subexpressions
        # Set intersections iterate the smaller side, so a record's few dozen true atoms
        # are what is walked, never the ruleset's routing tables.
        for atom in true & self._routed:
            visit.update(routes[atom])
            needed |= route_subs[atom]
        for atom in true & self._paired:
            seconds, subs = pair_routes[atom], pair_subs[atom]
            for second in true & self._seconds[atom]:
                visit.update(seconds[second])
                needed |= subs[second]
        true_flags = true | {flag for flag in needed if ruleset.subexpression_holds(flag, true)}
        fragments = self._fragments
        payloads = [
            (index, durable_adapter.payload([fragments[flag] for flag in true_flags & ruleset.shards[index].flags]))
            for index in sorted(visit)
        ]
        with self._lock:
            names = [self._engine[index].fire(fact) for index, fact in payloads]
        fired: dict[int, set[int]] = {}
        for fired_names in names:
            for name in fired_names:
                position, branch = name[1:].split("_")
                fired.setdefault(int(position), set()).add(int(branch))
        return fired
