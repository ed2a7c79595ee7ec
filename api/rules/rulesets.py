"""The live ruleset of this process: built from the store, swapped atomically, kept in step.

A request takes the current ``LoadedRuleset`` once and uses it to the end, so a swap in
the middle of a request changes nothing for it. A new ruleset is compiled and loaded
completely before the reference moves. Every process polls the store for a newer
ruleset (``RULESET_POLL_SECONDS``), so several workers and hosts converge within a
second of an activation. An evaluator is freed only when no request still holds it.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from api import metrics
from api.common import ServiceError
from api.polling import Poller
from api.rules.interface import ActiveRule, RulesetInfo, RuleStore
from api.rules.packs import packs_from_versions
from engine import CompiledRuleset, EngineFailure, Evaluator, compile_packs
from engine.evaluation import BaseEvaluator
from engine.isolation import IsolatedEvaluator

log = logging.getLogger(__name__)

# Served until a ruleset is first activated: seq 0, no rules, made by no one at no time (the
# earliest instant stands for that; a loaded ruleset's creation time is never shown).
_EMPTY = RulesetInfo(0, "", (), dt.datetime.min.replace(tzinfo=dt.UTC), "")


@dataclass
class LoadedRuleset:
    info: RulesetInfo
    evaluator: BaseEvaluator
    rule_versions: dict[str, int]  # rule id -> version number in this ruleset
    users: int = 0
    retired: bool = False

    @property
    def version(self) -> str:
        return self.evaluator.version

    @property
    def seq(self) -> int:
        return self.info.seq


def build(info: RulesetInfo, rules: list[ActiveRule], isolation: EngineIsolation | None = None) -> LoadedRuleset:
    compiled: CompiledRuleset = compile_packs(packs_from_versions((rule.agency, rule.content) for rule in rules))
    evaluator: BaseEvaluator = (
        IsolatedEvaluator(compiled, timeout=isolation.timeout_seconds) if isolation else Evaluator(compiled)
    )
    return LoadedRuleset(info, evaluator, {r.rule_id: r.number for r in rules})


@dataclass(frozen=True)
class EngineIsolation:
    timeout_seconds: float


class RulesetManager(Poller):
    thread_name = "ruleset-poll"

    def __init__(self, store: RuleStore, poll_seconds: float, isolation: EngineIsolation | None = None) -> None:
        super().__init__(poll_seconds)
        self._store = store
        self._isolation = isolation
        self._current: LoadedRuleset = build(_EMPTY, [], isolation)
        self._history: dict[int, LoadedRuleset] = {}
        self._refresh_lock = threading.Lock()
        # Taking the current ruleset and counting its users happen under one lock with the
        # swap, so a ruleset is never freed between a request taking it and using it.
        self._swap_lock = threading.Lock()
        self._replay_lock = threading.Lock()
        self.last_error: str | None = None

    @property
    def current(self) -> LoadedRuleset:
        return self._current

    @contextmanager
    def use(self) -> Iterator[LoadedRuleset]:
        """The current ruleset, held for the duration of a request."""
        with self._swap_lock:
            loaded = self._current
            loaded.users += 1
        try:
            yield loaded
        finally:
            with self._swap_lock:
                loaded.users -= 1
                free = loaded.retired and loaded.users == 0
            if free:
                loaded.evaluator.close()

    def refresh(self) -> bool:
        """Load the store's newest ruleset if it is not the one in use; True when it changed."""
        with self._refresh_lock:
            try:
                latest = self._store.latest_ruleset()
                if latest is None or latest.seq == self._current.seq:
                    self.last_error = None
                    return False
                info, rules = self._store.ruleset_rules(latest.seq)
                loaded = build(info, rules, self._isolation)
            except (ServiceError, EngineFailure) as exc:
                self.last_error = str(exc)
                metrics.RULESET_RELOADS.labels("failed").inc()
                log.warning("ruleset refresh failed", extra={"error": type(exc).__name__})
                return False
            with self._swap_lock:
                previous, self._current = self._current, loaded
                previous.retired = True
                free = previous.users == 0
            self.last_error = None
            metrics.ruleset_loaded(previous.version, loaded.version, info.seq, len(rules))
            log.info(
                "ruleset loaded",
                extra={"ruleset_seq": info.seq, "ruleset_version": loaded.version, "rules": len(rules)},
            )
            if free:
                previous.evaluator.close()
            return True

    @contextmanager
    def replaying(self, seq: int) -> Iterator[LoadedRuleset]:
        """The ruleset of an earlier decision, rebuilt from the store's immutable versions.

        Replays are rare: they run one at a time, and the last few rebuilt rulesets are kept.
        """
        with self._replay_lock:
            if seq == self._current.seq:
                with self.use() as loaded:
                    yield loaded
                return
            if seq not in self._history:
                if len(self._history) >= 4:
                    _, oldest = self._history.popitem()
                    oldest.evaluator.close()
                if seq == 0:
                    self._history[seq] = build(_EMPTY, [], self._isolation)
                else:
                    info, rules = self._store.ruleset_rules(seq)
                    self._history[seq] = build(info, rules, self._isolation)
            yield self._history[seq]
