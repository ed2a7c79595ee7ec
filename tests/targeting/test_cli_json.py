"""``targeting --json``: every mistake is one JSON object on stderr, in the API's error shape and codes.

``{"code", "message", "errors"}`` with a code of the registry (``engine/codes.py``), so a script
driving the command line switches on the same codes as a client of the API; without ``--json`` the
same mistakes read as they always have (tests/targeting/test_cli.py).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine.codes import REGISTRY
from targeting.cli import main

ROOT = Path(__file__).resolve().parents[2]


def _error(capsys: pytest.CaptureFixture[str]) -> dict:
    captured = capsys.readouterr()
    [line] = captured.err.splitlines()
    error = json.loads(line)
    assert set(error) == {"code", "message", "errors"} and error["code"] in REGISTRY
    return error


def test_a_missing_file(capsys, tmp_path):
    assert main(["--json", "evaluate", "--rules", str(ROOT / "rules"), str(tmp_path / "absent.jsonl")]) == 1
    error = _error(capsys)
    assert error["code"] == "unreadable_file" and "absent.jsonl" in error["message"]


def test_a_bad_at(capsys, cash_pack, tmp_path):
    assert main(["--json", "evaluate", "--rules", str(cash_pack), "--at", "yesterday", str(tmp_path / "x")]) == 2
    error = _error(capsys)
    assert error["code"] == "invalid_input" and list(error["errors"]) == ["--at"]


def test_rule_packs_with_problems_are_invalid_rule_with_each_problem_by_place(capsys):
    path = ROOT / "tests" / "data" / "ten_mistakes.yaml"
    assert main(["--json", "rules", "validate", str(path)]) == 1
    error = _error(capsys)
    assert error["code"] == "invalid_rule"
    assert sum(len(messages) for messages in error["errors"].values()) == 10
    assert all(place.startswith(f"{path}: CUS-09") for place in error["errors"])
    assert capsys.readouterr().out == ""


def test_a_bad_record_has_the_code_the_api_gives_it(capsys, cash_pack, tmp_path):
    records = tmp_path / "in.jsonl"
    records.write_text(json.dumps({"passenger_id": "P3", "booking": {"payment_method": "gold"}}) + "\n{not json\n")
    assert main(["--json", "evaluate", "--rules", str(cash_pack), str(records)]) == 1
    bad_record, not_json = (json.loads(line)["error"] for line in capsys.readouterr().out.splitlines())
    assert (bad_record["code"], list(bad_record["errors"])) == ("invalid_passenger", ["booking.payment_method"])
    assert not_json["code"] == "invalid_json"


def test_an_unreadable_message_is_refused_by_segment(capsys, tmp_path):
    message = tmp_path / "not.edi"
    message.write_text("this is not EDIFACT\n")
    assert main(["--json", "paxlst", str(message)]) == 1
    error = _error(capsys)
    assert error["code"] == "invalid_paxlst" and all(place.startswith("segment ") for place in error["errors"])


def test_a_watchlist_with_bad_rows(capsys, cash_pack, tmp_path):
    watchlist = tmp_path / "list.csv"
    watchlist.write_text("id,agency,family_name,category,reason,expires\nW1,customs,,customs,r,2030-01-01\n")
    records = tmp_path / "in.jsonl"
    records.write_text("{}\n")
    assert main(["--json", "evaluate", "--rules", str(cash_pack), "--watchlist", str(watchlist), str(records)]) == 1
    error = _error(capsys)
    assert error["code"] == "invalid_csv" and any("line 2" in place for place in error["errors"])


def test_a_setting_its_variable_cannot_hold(capsys, monkeypatch):
    monkeypatch.setenv("CACHE_TTL_SECONDS", "abc")
    assert main(["--json", "decisions", "purge"]) == 2
    error = _error(capsys)
    assert error["code"] == "invalid_setting" and "CACHE_TTL_SECONDS" in error["message"]
