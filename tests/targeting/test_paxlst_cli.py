"""``targeting paxlst`` on the hardened reader's messages: no named person dropped with exit 0, and
a message in a format it does not read refused by name, with exit 1."""

from __future__ import annotations

import json
from pathlib import Path

from targeting.cli import main

MESSAGES = Path(__file__).resolve().parents[1] / "messages" / "data" / "paxlst"


def test_a_person_of_unknown_role_is_printed_and_the_warning_said(capsys):
    assert main(["paxlst", str(MESSAGES / "road_crossing_driver_d05b.edi")]) == 0
    captured = capsys.readouterr()
    records = [json.loads(line) for line in captured.out.splitlines()]
    assert [r["traveller"]["family_name"] for r in records] == ["MORRIS", "LEBLANC"]
    assert "role" not in records[0]["traveller"] and records[1]["traveller"]["role"] == "passenger"
    assert "segment 11: warning: unknown_role: NAD party 'DRV' is not a known role" in captured.err
    assert "MORRIS" not in captured.err


def test_legacy_us_paxlst_exits_1_naming_the_format(capsys):
    assert main(["paxlst", str(MESSAGES / "legacy_us_pdt.edi")]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "segment 10: error: legacy_us_paxlst: legacy US PAXLST (PDT segments) is not supported" in captured.err


def test_a_transport_header_is_a_warning_not_a_refusal(capsys):
    assert main(["paxlst", str(MESSAGES / "typeb_header_d05b.edi")]) == 0
    captured = capsys.readouterr()
    assert len(captured.out.splitlines()) == 2
    assert "segment 1: warning: transport_header" in captured.err
