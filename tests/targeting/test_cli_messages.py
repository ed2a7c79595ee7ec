"""What ``targeting`` says back: its version, a created key, and the mistakes people make with its
input (YAML that does not parse, JSON that is not JSON Lines, dates in another format), each named
with what was expected."""

from __future__ import annotations

import json
import re
from importlib import metadata
from pathlib import Path

import pytest

from targeting.cli import main

ROOT = Path(__file__).resolve().parents[2]
RULES = str(ROOT / "rules")


@pytest.fixture
def instance(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("REDIS_URL", raising=False)
    return tmp_path


def test_version_comes_from_the_package_metadata(capsys):
    with pytest.raises(SystemExit) as exited:
        main(["--version"])
    assert exited.value.code == 0
    assert capsys.readouterr().out == f"targeting {metadata.version('border-targeting')}\n"


def test_keys_create_prints_the_key_and_its_grant_one_labelled_line_each(instance, capsys):
    args = ["keys", "create", "--name", "ops@central", "--agency", "customs", "--roles", "officer,auditor"]
    assert main([*args, "--expires-days", "30"]) == 0
    out = capsys.readouterr().out
    fields = dict(re.findall(r"^  (\w+): +(.+)$", out, re.M))
    assert (fields["name"], fields["agency"], fields["roles"]) == ("ops@central", "customs", "auditor, officer")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", fields["expires"])
    key_id = re.search(r"^API key (\w+) created$", out, re.M).group(1)
    assert fields["key"].startswith(f"tgt_{key_id}_") and "not shown again" in out

    from api.config import Settings
    from api.container import Services

    services = Services.build(Settings.from_env())
    try:
        actor = services.key_store.authenticate(fields["key"])
    finally:
        services.engine.dispose()
    assert actor is not None and (actor.agency, actor.roles) == ("customs", frozenset({"officer", "auditor"}))


def test_keys_create_refusals_are_readable(instance, capsys):
    assert main(["keys", "create", "--name", "x", "--agency", "customs", "--roles", "officer,bogus"]) == 1
    err = capsys.readouterr().err
    assert err.splitlines() == [
        "targeting: unknown roles (invalid_roles)",
        "  roles: must be among officer, approver, system, auditor, admin",
    ]
    assert main(["keys", "create", "--name", "x", "--agency", "customs", "--roles", "officer", "--expires-days", "0"])
    assert "--expires-days: expected a whole number of days from 1" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("name", "text", "where"),
    [
        ("unclosed.yaml", 'agency: customs\nrules:\n  - id: CUS-1\n    title: "open\n', "line 5, column 1"),
        ("flow.yaml", "agency: customs\nrules:\n  - {id: CUS-1 title: x}\n", "line 3, column 21"),
        ("twice.yaml", "agency: customs\nagency: mpi\nrules: []\n", "line 2, column 1"),
        ("pack.json", '{"agency": "customs",\n "rules": [}\n', "line 2, column 12"),
    ],
)
def test_a_pack_that_does_not_parse_is_named_by_line_and_column(tmp_path, capsys, name, text, where):
    (tmp_path / name).write_text(text)
    assert main(["rules", "validate", str(tmp_path / name)]) == 1
    [line] = capsys.readouterr().out.splitlines()
    assert f": {where}: " in line, line


def test_an_unclosed_quote_names_where_it_opened(tmp_path, capsys):
    (tmp_path / "p.yaml").write_text('agency: customs\nrules:\n  - id: CUS-1\n    title: "open\n    weight: 3\n')
    main(["rules", "validate", str(tmp_path / "p.yaml")])
    assert "(while scanning a quoted scalar at line 4, column 12)" in capsys.readouterr().out


def test_an_empty_directory_of_packs_is_named(tmp_path, capsys):
    assert main(["rules", "validate", str(tmp_path)]) == 1
    assert capsys.readouterr().out == f"{tmp_path}: -: -: no rule packs found (*.yaml, *.yml, *.json)\n"


def test_a_directory_of_records_gets_the_json_lines_hint(tmp_path, capsys):
    assert main(["evaluate", "--rules", RULES, str(tmp_path)]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == (
        f"targeting: {tmp_path} is a directory; expected JSON Lines: one record per line, in a file or on stdin (-)\n"
    )


@pytest.mark.parametrize(
    ("document", "hint"),
    [
        (json.dumps([{"passenger_id": "P1"}, {"passenger_id": "P2"}], indent=2), "opens a JSON array"),
        (json.dumps([{"passenger_id": "P1"}, {"passenger_id": "P2"}]), "opens a JSON array"),
        (json.dumps({"passenger_id": "P1"}, indent=2), "is not a whole JSON record (pretty-printed?)"),
    ],
)
def test_a_json_document_instead_of_json_lines_is_refused_with_the_hint(tmp_path, capsys, document, hint):
    records = tmp_path / "records.json"
    records.write_text(document + "\n")
    assert main(["evaluate", "--rules", RULES, str(records)]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""  # nothing evaluated: not P2 on its own, not an error per line
    assert captured.err.startswith(f"targeting: {records}: line 1 {hint}; expected JSON Lines: one record per line")


def test_a_bad_line_later_on_carries_the_hint_and_the_rest_is_evaluated(tmp_path, capsys):
    records = tmp_path / "records.jsonl"
    records.write_text('{"passenger_id": "P1"}\n{"passenger_id": \n{"passenger_id": "P3"}\n')
    assert main(["evaluate", "--rules", RULES, str(records)]) == 1
    outputs = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [output.get("passenger_id") for output in outputs] == ["P1", None, "P3"]
    assert outputs[1]["error"]["message"].endswith("(expected JSON Lines: one record per line)")


def test_an_empty_input_says_there_were_no_records(tmp_path, capsys):
    records = tmp_path / "records.jsonl"
    records.write_text("\n")
    assert main(["evaluate", "--rules", RULES, str(records)]) == 0
    assert capsys.readouterr().err == f"targeting: {records}: no records (expected JSON Lines: one record per line)\n"


@pytest.mark.parametrize("value", ["01/12/2026", "2026-12-01 9am", "1764547200"])
def test_at_in_another_format_names_the_expected_one(capsys, value):
    assert main(["evaluate", "--rules", RULES, "--at", value, "-"]) == 2
    assert capsys.readouterr().err == (
        "targeting: --at: expected a date and time as YYYY-MM-DDThh:mm:ss with Z or an offset "
        "(ISO 8601, e.g. 2026-12-01T09:30:00Z)\n"
    )


def test_record_dates_in_another_format_name_the_expected_one_without_echoing_them(tmp_path, capsys):
    record = {
        "passenger_id": "P1",
        "traveller": {"date_of_birth": "17/04/1996"},
        "flight": {"scheduled_departure": "2026-12-01"},
    }
    records = tmp_path / "records.jsonl"
    records.write_text(json.dumps(record) + "\n")
    assert main(["evaluate", "--rules", RULES, str(records)]) == 1
    errors = json.loads(capsys.readouterr().out)["error"]["errors"]
    assert errors["traveller.date_of_birth"] == ["expected a date as YYYY-MM-DD (e.g. 2026-12-01)"]
    assert errors["flight.scheduled_departure"][0].startswith("expected a date and time as YYYY-MM-DDThh:mm:ss")
    assert "17/04/1996" not in json.dumps(errors)
