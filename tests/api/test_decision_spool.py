"""Decisions answered while the store is down survive the death of the process that answered them."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

from api.common import Unavailable
from api.evaluations.decisions import DecisionRecorder, DecisionSpool
from api.evaluations.interface import DecisionRecord

NOW = dt.datetime(2026, 11, 29, 5, 0, tzinfo=dt.UTC)


def _decision(number: int) -> DecisionRecord:
    return DecisionRecord(
        id=f"00000000-0000-4000-8000-{number:012d}",
        created_at=NOW,
        evaluated_at=NOW,
        ruleset_seq=0,
        ruleset_version="",
        agency="customs",
        submitted_by="kcustomssystem",
        passenger_ref=f"P{number}",
        identity_hash="ab" * 32,
        matches=[],
        score=0.0,
        cached=False,
        record={"passenger_id": f"P{number}"},
        flight="NZ123",
        flight_date=dt.date(2026, 11, 29),
    )


class DownStore:
    def record_decisions(self, decisions):
        raise Unavailable("down")


def test_a_waiting_batch_is_spooled_locked_and_removed_once_written(tmp_path: Path):
    spool = DecisionSpool(tmp_path)
    store = DownStore()
    recorder = DecisionRecorder(store, spool=spool)
    assert recorder.record([_decision(1), _decision(2)]) is False
    [spooled] = tmp_path.glob("*.json")
    # This process owns the file: nobody adopts it while it lives (another open description is refused).
    assert DecisionSpool(tmp_path).adopt() == []

    written: list[DecisionRecord] = []
    store.record_decisions = written.extend  # the store is back
    assert recorder.flush() is True
    assert [d.id for d in written] == [_decision(1).id, _decision(2).id]
    assert written[0] == _decision(1)  # every field survives the file, dates included
    assert not spooled.exists() and list(tmp_path.iterdir()) == []


CHILD = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from api.evaluations.decisions import DecisionRecorder, DecisionSpool
    from tests.api.test_decision_spool import DownStore, _decision

    recorder = DecisionRecorder(DownStore(), retry_seconds=3600, spool=DecisionSpool(Path(sys.argv[1])))
    recorder.record([_decision(7), _decision(8)])
    print("answered", flush=True)
    time.sleep(600)
    """
)


def test_decisions_of_a_killed_process_are_adopted_and_written_by_the_next(services, tmp_path: Path):
    folder = tmp_path / "decision-spool"
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(folder)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])},
    )
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == "answered"
        assert DecisionRecorder(services.decision_store, spool=DecisionSpool(folder)).recover() == 0  # still alive
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)

    successor = DecisionRecorder(services.decision_store, spool=DecisionSpool(folder))
    assert successor.recover() == 2
    assert successor.flush() is True
    for number in (7, 8):
        stored = services.decision_store.decision(_decision(number).id)
        assert (stored.passenger_ref, stored.flight_date) == (f"P{number}", dt.date(2026, 11, 29))
    assert list(folder.iterdir()) == []
    # A third process finds nothing left to adopt, so nothing is written twice.
    assert DecisionRecorder(services.decision_store, spool=DecisionSpool(folder)).recover() == 0
