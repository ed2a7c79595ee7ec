"""A crashed or hung engine worker is replaced and the request retried; answers stay right."""

from __future__ import annotations

import os
import signal
import time

import pytest

from engine import EngineFailure, PackSource, check_record, compile_packs
from engine.isolation import IsolatedEvaluator

PACK = {
    "agency": "customs",
    "rules": [
        {
            "id": "CUS-0001",
            "title": "t",
            "weight": 40,
            "action": "refer",
            "when": {"field": "booking.travel_agency", "matches": "Agency [0-9]+"},
        },
        {
            "id": "CUS-0002",
            "title": "t",
            "weight": 20,
            "action": "notify",
            "when": {"field": "booking.checked_bags", "gte": 3},
        },
    ],
}


@pytest.fixture
def isolated():
    evaluator = IsolatedEvaluator(compile_packs([PackSource("t", PACK)]), timeout=2)
    yield evaluator
    evaluator.close()


def _ids(evaluator, **booking):
    return evaluator.evaluate(check_record({"booking": booking})).rule_ids


def test_same_answers_as_in_process(isolated):
    assert _ids(isolated, travel_agency="Agency 7", checked_bags=3) == ["CUS-0001", "CUS-0002"]
    assert _ids(isolated, travel_agency="Direct") == []
    batch = isolated.evaluate_batch([check_record({"booking": {"checked_bags": n}}) for n in range(5)])
    assert [r.rule_ids for r in batch] == [[], [], [], ["CUS-0002"], ["CUS-0002"]]


def test_a_killed_worker_is_replaced_and_the_request_retried(isolated):
    first = isolated.pid
    os.kill(first, signal.SIGKILL)
    time.sleep(0.1)
    assert _ids(isolated, checked_bags=4) == ["CUS-0002"]
    assert isolated.restarts == 1 and isolated.pid != first


def test_a_hung_worker_is_replaced(isolated):
    os.kill(isolated.pid, signal.SIGSTOP)  # frozen, like the engine's endless loops
    started = time.monotonic()
    assert _ids(isolated, checked_bags=4) == ["CUS-0002"]
    assert 2 <= time.monotonic() - started < 30
    assert isolated.restarts == 1


def test_a_worker_failing_twice_gives_a_clear_retryable_error(isolated, monkeypatch):
    from engine import isolation

    def dies(self, records):
        raise isolation._WorkerLost("simulated crash")

    monkeypatch.setattr(IsolatedEvaluator, "_round_trip", dies)
    with pytest.raises(EngineFailure, match="failed twice"):
        _ids(isolated, checked_bags=4)
