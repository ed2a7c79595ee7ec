"""``targeting pnrgov``: a PNRGOV message as passenger records, one JSON line per traveller."""

from __future__ import annotations

import json
from pathlib import Path

from engine import check_record
from engine.records import REQUIRED_FIELDS
from targeting.cli import main
from tests.messages.helpers import keyed_hash

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "tests" / "messages" / "data" / "pnrgov"


def test_prints_one_record_per_traveller_and_warnings_on_stderr(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("IDENTITY_HASH_KEY", "cli-test-key")
    message = SAMPLES / "loader_2_pnrs_basic.edi"
    assert main(["pnrgov", str(message)]) == 0
    captured = capsys.readouterr()
    records = [json.loads(line) for line in captured.out.splitlines()]
    assert [r["passenger_id"] for r in records] == ["MFN4TI-1", "MFN4TI-2", "23456-1", "23456-2"]
    for record in records:
        check_record(record, REQUIRED_FIELDS)  # what `targeting evaluate` reads
    smith = records[0]
    assert (smith["traveller"]["family_name"], smith["booking"]["reference"]) == ("SMITHJR", "MFN4TI")
    assert [stop["airport"] for stop in smith["itinerary"]] == ["LHR", "JFK", "YVR"]
    assert smith["document"]["number"] == "123456789" and smith["flight"]["number"] == "324"
    # The service's identity key hashes the card; the number itself is nowhere.
    assert smith["booking"]["card_hash"] == keyed_hash(b"cli-test-key", "card", "XXXXXXXX1186")
    assert "XXXXXXXX1186" not in captured.out + captured.err
    assert "segment 136: warning: segment_count_mismatch" in captured.err
    # A key file gives other hashes.
    key_file = tmp_path / "key"
    key_file.write_text("another-key\n")
    assert main(["pnrgov", "--hash-key-file", str(key_file), str(message)]) == 0
    again = json.loads(capsys.readouterr().out.splitlines()[0])
    assert again["booking"]["card_hash"] == keyed_hash(b"another-key", "card", "XXXXXXXX1186")


def test_records_evaluate_as_targeting_evaluate_reads_them(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("IDENTITY_HASH_KEY", "cli-test-key")
    message = SAMPLES / "parsers_pnrWithPrefixesAndBookingDetailBags.txt"
    assert main(["pnrgov", str(message)]) == 0
    records = tmp_path / "records.jsonl"
    records.write_text(capsys.readouterr().out)
    assert main(["evaluate", "--rules", str(ROOT / "rules"), str(records)]) == 0
    evaluated = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(evaluated) == 2 and all("score" in line for line in evaluated)
    assert main(["pnrgov", "--evaluate", "--rules", str(ROOT / "rules"), str(message)]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 2


def test_unreadable_message_exits_1_with_a_clear_message(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("IDENTITY_HASH_KEY", "cli-test-key")
    path = tmp_path / "bad.edi"
    path.write_text("this is not EDIFACT")
    assert main(["pnrgov", str(path)]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "segment 1: error: not_edifact" in captured.err
    assert "the PNRGOV message cannot be read" in captured.err
    assert main(["pnrgov", str(tmp_path / "missing.edi")]) == 1
    assert "No such file" in capsys.readouterr().err
    empty = tmp_path / "empty-key"
    empty.write_text("")
    assert main(["pnrgov", "--hash-key-file", str(empty), str(SAMPLES / "loader_pnr1.txt")]) == 1
    assert "hash key file is empty" in capsys.readouterr().err
