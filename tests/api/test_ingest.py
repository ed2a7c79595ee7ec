"""The ingest worker's parts without a broker, on every backend: the store of ingested messages (a
message's digest committed with its decisions, once), the message handler, and the folder mode.

The broker itself is in test_ingest_broker.py.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.exc import StatementError

from api.common import Unavailable
from api.container import Services
from api.db.models import DecisionRow
from api.evaluations.interface import DecisionRecord
from api.ingest import metrics
from api.ingest.folder import FolderWorker
from api.ingest.handler import DEAD, DUPLICATE, EVALUATED, MessageHandler, Unreadable, message_kind
from api.ingest.interface import IngestedMessage, message_digest
from testing.ingest import UNREADABLE, paxlst_message, pnrgov_message, unreadable_message
from tests.api.conftest import OPERATOR, rule

NZL_RULE = rule("CUS-0800", when={"field": "traveller.nationality", "eq": "NZL"}, valid_until="2030-12-31")


def activate_nzl_rule(services: Services) -> None:
    """A Customs rule matching New Zealanders (a quarter of a PAXLST message's passengers), loaded."""
    services.rule_store.import_packs([("ingest.yaml", {"agency": "customs", "rules": [NZL_RULE]})], OPERATOR)
    services.rulesets.refresh()


def all_decisions(services: Services) -> list[tuple[str, str]]:
    """(passenger id, agency) of every decision stored: all of them, not the newest per journey."""
    if services.engine is None:
        stored = services.decision_store._decisions.values()  # type: ignore[attr-defined]
        return [(d.passenger_ref, d.agency) for d in stored]
    with services.engine.connect() as connection:
        return [tuple(row) for row in connection.execute(select(DecisionRow.passenger_ref, DecisionRow.agency))]


def decisions_per_passenger(services: Services) -> Counter[str]:
    """How many decisions each passenger id has."""
    return Counter(passenger for passenger, _ in all_decisions(services))


def hits_per_passenger(services: Services) -> Counter[str]:
    return Counter(hit.passenger_ref for hit in services.hits.hits(None, limit=100_000))


def _decision(passenger: str, **changes: object) -> DecisionRecord:
    now = dt.datetime.now(dt.UTC)
    found = DecisionRecord(
        f"d-{passenger}", now, now, 1, "rs", "customs", "ingest", passenger, f"h-{passenger}", [], 0.0, False, {}
    )
    return dataclasses.replace(found, **changes)  # type: ignore[arg-type]


def _message(digest: str, travellers: int = 1) -> IngestedMessage:
    return IngestedMessage(digest, "paxlst", "customs", travellers, dt.datetime.now(dt.UTC))


# --------------------------------------------------------------------------- the store


def test_a_message_is_recorded_once_with_its_decisions(services):
    digest = message_digest(b"one message")
    assert services.ingest.ingested(digest) is None
    assert services.ingest.record_message(_message(digest), [_decision("P-1")]) is True
    # Delivered again: nothing written, not even its (new) decisions.
    assert services.ingest.record_message(_message(digest), [_decision("P-1", id="d-again")]) is False
    found = services.ingest.ingested(digest)
    assert (found.digest, found.kind, found.agency, found.travellers) == (digest, "paxlst", "customs", 1)
    assert found.ingested_at.tzinfo is not None
    assert decisions_per_passenger(services) == {"P-1": 1}


def test_two_workers_committing_one_message_at_once_record_it_once(services):
    digest = message_digest(b"sent twice by the airline")
    results: list[bool] = []
    start = threading.Barrier(4)

    def commit(n: int) -> None:
        start.wait()
        results.append(services.ingest.record_message(_message(digest), [_decision("P-2", id=f"d-{n}")]))

    threads = [threading.Thread(target=commit, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [False, False, False, True]
    assert decisions_per_passenger(services) == {"P-2": 1}


def test_a_message_whose_decisions_cannot_be_stored_leaves_no_digest(services):
    digest = message_digest(b"cannot be stored")
    unstorable = _decision("P-3", record={"not json": object()})
    with pytest.raises((TypeError, StatementError)):  # json.dumps fails, before or in the INSERT
        services.ingest.record_message(_message(digest), [_decision("P-4"), unstorable])
    assert services.ingest.ingested(digest) is None
    assert decisions_per_passenger(services) == {}


# --------------------------------------------------------------------------- the handler


def test_a_message_is_evaluated_by_the_manifest_pipeline_once(services):
    activate_nzl_rule(services)
    handler = MessageHandler(services, "customs")
    body = paxlst_message("MSGA", 4)
    first = handler.handle(body)
    assert (first.status, first.kind, first.travellers) == (EVALUATED, "paxlst", 4)
    assert decisions_per_passenger(services) == {f"MSGA-{n}": 1 for n in range(1, 5)}
    assert hits_per_passenger(services) == {"MSGA-2": 1}  # the New Zealander
    again = handler.handle(body)
    assert (again.status, again.digest) == (DUPLICATE, first.digest)
    assert decisions_per_passenger(services) == {f"MSGA-{n}": 1 for n in range(1, 5)}
    stored = services.ingest.ingested(first.digest)
    assert (stored.kind, stored.agency, stored.travellers) == ("paxlst", "customs", 4)
    [decision] = [d for d in services.decision_store.flight_decisions("NZ1", dt.date(2026, 11, 30)) if d.matches]
    assert (decision.agency, decision.submitted_by, decision.matches[0]["rule_id"]) == ("customs", "ingest", "CUS-0800")


def test_pnrgov_travellers_are_evaluated_and_a_big_message_in_batches(services):
    services.settings = dataclasses.replace(services.settings, max_manifest_size=3)
    handler = MessageHandler(services, "mpi")
    outcome = handler.handle(pnrgov_message("PNR001", 7))
    assert (outcome.status, outcome.kind, outcome.travellers) == (EVALUATED, "pnrgov", 7)
    assert decisions_per_passenger(services) == {f"PNR001-{n}": 1 for n in range(1, 8)}


def test_unreadable_messages_are_dead_lettered_with_their_reason_and_record_nothing(services):
    handler = MessageHandler(services, "customs")
    reasons = []
    for n in range(len(UNREADABLE)):
        outcome = handler.handle(unreadable_message(n))
        assert outcome.status == DEAD and outcome.travellers == 0
        assert services.ingest.ingested(outcome.digest) is None
        reasons.append(outcome.reason)
    assert reasons[0].startswith("unknown_message_type: no UNH segment")
    assert reasons[2].startswith("invalid_paxlst: segment ") and ": missing_bgm: " in reasons[2]
    assert handler.handle(paxlst_message("MSGB", 1), kind="PNRGOV").reason.startswith("type_mismatch: ")
    assert handler.handle(b"UNA:+.? 'UNB+UNOA:4+A:ZZ+B:ZZ+261201:2200+1'", kind="paxlst").reason.startswith(
        "invalid_paxlst: "
    )
    assert handler.handle(paxlst_message("MSGB", 1), kind="BCBP").reason.startswith("unknown_message_type: 'BCBP'")
    assert decisions_per_passenger(services) == {}


def test_the_reason_never_holds_the_segment_text(services):
    # A PAXLST cut off after a passenger's name: the name must not reach the dead-letter header.
    body = b"UNA:+.? 'UNB+UNOA:4+A:ZZ+B:ZZ+261201:2200+1'UNH+1+PAXLST:D:05B:UN:IATA'NAD+FL+++ZYXWVUTS:QPONM'"
    outcome = MessageHandler(services, "customs").handle(body)
    assert outcome.status == DEAD and "ZYXWVUTS" not in outcome.reason and "QPONM" not in outcome.reason


def test_the_agency_is_the_workers_or_the_one_each_message_names(services):
    shared = MessageHandler(services, None)
    assert shared.handle(paxlst_message("MSGC", 1), agency="MPI").status == EVALUATED
    assert shared.handle(paxlst_message("MSGD", 1)).reason.startswith("no_agency: ")
    assert shared.handle(paxlst_message("MSGE", 1), agency="nasa").reason.startswith("unknown_agency: 'nasa'")
    customs = MessageHandler(services, "customs")
    assert customs.handle(paxlst_message("MSGF", 1), agency="mpi").status == EVALUATED  # the header is ignored
    assert sorted(all_decisions(services)) == [("MSGC-1", "mpi"), ("MSGF-1", "customs")]
    with pytest.raises(ValueError, match="unknown agency"):
        MessageHandler(services, "nasa")


def test_the_kind_is_declared_or_read_from_the_unh_segment():
    assert message_kind(paxlst_message("M1", 1)) == "paxlst"
    assert message_kind(pnrgov_message("AB1234", 1)) == "pnrgov"
    assert message_kind(paxlst_message("M1", 1).decode().encode("utf-16")) == "paxlst"
    assert message_kind(b"anything", "PnrGov") == "pnrgov"
    with pytest.raises(Unreadable, match="unknown_message_type"):
        message_kind(b"UNB+IATA:1+DL++101209:2100+1'UNH+1+CUSRES:D:05B'")


# --------------------------------------------------------------------------- the folder mode


def test_a_folder_worker_takes_each_complete_file_once(services, tmp_path: Path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "a.paxlst").write_bytes(paxlst_message("FOLDA", 3))
    (inbox / "b.edi").write_bytes(pnrgov_message("FOLDB1", 2))
    (inbox / "c.txt").write_bytes(unreadable_message(0))
    (inbox / ".d.paxlst").write_bytes(paxlst_message("FOLDD", 1))  # still being written
    (inbox / "e.paxlst.part").write_bytes(paxlst_message("FOLDE", 1))
    worker = FolderWorker(MessageHandler(services, "customs"), inbox, threading.Event())
    assert worker.run_once() == 3
    assert sorted(path.name for path in inbox.iterdir()) == [".d.paxlst", "dead", "e.paxlst.part"]
    assert sorted(path.name for path in (inbox / "dead").iterdir()) == ["c.txt", "c.txt.reason"]
    assert (inbox / "dead" / "c.txt.reason").read_text().startswith("unknown_message_type: ")
    expected = {"FOLDA-1": 1, "FOLDA-2": 1, "FOLDA-3": 1, "FOLDB1-1": 1, "FOLDB1-2": 1}
    assert decisions_per_passenger(services) == expected
    # The same bytes again (under another name) are the same message: removed, nothing recorded.
    (inbox / "a-resent.paxlst").write_bytes(paxlst_message("FOLDA", 3))
    assert worker.run_once() == 1
    assert not (inbox / "a-resent.paxlst").exists()
    assert decisions_per_passenger(services) == expected
    # Another unreadable file of the same name is kept beside the first.
    (inbox / "c.txt").write_bytes(unreadable_message(1))
    worker.run_once()
    assert len(list((inbox / "dead").glob("c.*.txt.reason"))) == 1
    assert metrics.QUEUE_DEPTH.labels(str(inbox))._value.get() == 1


def test_a_file_committed_before_the_worker_died_is_only_removed(services, tmp_path: Path):
    handler = MessageHandler(services, "customs")
    (tmp_path / "m.paxlst").write_bytes(paxlst_message("FOLDK", 2))
    # The worker committed this file's decisions, then was killed before removing it.
    assert handler.handle((tmp_path / "m.paxlst").read_bytes()).status == EVALUATED
    outcome = FolderWorker(handler, tmp_path, threading.Event()).take(tmp_path / "m.paxlst")
    assert outcome.status == DUPLICATE and not (tmp_path / "m.paxlst").exists()
    assert decisions_per_passenger(services) == {"FOLDK-1": 1, "FOLDK-2": 1}


def test_files_wait_while_the_store_is_down(services, tmp_path: Path, monkeypatch):
    (tmp_path / "m.paxlst").write_bytes(paxlst_message("FOLDU", 1))

    def down(digest: str) -> None:
        raise Unavailable("the store is unavailable; try again")

    monkeypatch.setattr(services.ingest, "ingested", down)
    worker = FolderWorker(MessageHandler(services, "customs"), tmp_path, threading.Event())
    assert worker.run_once() == 0 and (tmp_path / "m.paxlst").exists()
    monkeypatch.undo()
    assert worker.run_once() == 1 and not (tmp_path / "m.paxlst").exists()


def test_a_folder_worker_runs_until_stopped(services, tmp_path: Path):
    stop = threading.Event()
    worker = FolderWorker(MessageHandler(services, "customs"), tmp_path / "inbox", stop, poll_seconds=0.05)
    thread = threading.Thread(target=worker.run)
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while not (tmp_path / "inbox").is_dir():
            assert time.monotonic() < deadline
            time.sleep(0.01)
        (tmp_path / "m.tmp").write_bytes(paxlst_message("FOLDR", 1))
        (tmp_path / "m.tmp").rename(tmp_path / "inbox" / "m.paxlst")  # complete when it appears
        while (tmp_path / "inbox" / "m.paxlst").exists():
            assert time.monotonic() < deadline, "the file was not taken"
            time.sleep(0.01)
    finally:
        stop.set()
        thread.join(timeout=10)
    assert not thread.is_alive()
    assert decisions_per_passenger(services) == {"FOLDR-1": 1}


def test_targeting_ingest_watch_evaluates_files_until_sigterm(tmp_path: Path):
    import os
    import signal
    import subprocess
    import sys

    from sqlalchemy import create_engine

    from testing.live import ROOT

    inbox, database = tmp_path / "inbox", tmp_path / "ingest.sqlite3"
    inbox.mkdir()
    (inbox / "m.paxlst").write_bytes(paxlst_message("CLIW", 2))
    (inbox / "bad.txt").write_bytes(unreadable_message(0))
    env = {
        **{k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "PROMETHEUS_MULTIPROC_DIR")},
        "DATABASE_URL": f"sqlite:///{database}",
        "INSTANCE_PATH": str(tmp_path),
        "IDENTITY_HASH_KEY": "test-identity-key",
        "ENGINE_ISOLATION": "false",
        "LOG_LEVEL": "WARNING",
    }
    worker = subprocess.Popen(
        [sys.executable, "-m", "targeting", "ingest", "--agency", "mpi", "--watch", str(inbox)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while (inbox / "m.paxlst").exists() or not (inbox / "dead" / "bad.txt").exists():
            assert worker.poll() is None, worker.communicate()
            assert time.monotonic() < deadline, "the files were not taken"
            time.sleep(0.1)
        worker.send_signal(signal.SIGTERM)
        out, err = worker.communicate(timeout=30)
    finally:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait()
    assert worker.returncode == 0, err
    assert b"targeting ingest: folder" in out and b"CLIW" not in err  # no passenger id or name in the logs
    engine = create_engine(f"sqlite:///{database}")
    with engine.connect() as connection:
        found = sorted(connection.execute(select(DecisionRow.passenger_ref, DecisionRow.agency)))
    engine.dispose()
    assert found == [("CLIW-1", "mpi"), ("CLIW-2", "mpi")]
