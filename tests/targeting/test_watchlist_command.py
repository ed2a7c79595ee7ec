"""``targeting watchlist import``: a large CSV, its bad rows by line and column, and --skip-bad-rows."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from targeting.cli import main

HEADER = (
    "id,agency,family_name,given_names,date_of_birth,nationality,document_number,document_country,"
    "category,reason,expires\n"
)
BAD = {
    101: ("MPI-00050,mpi,Family,Given,1980-01-01,NZL,,,biosecurity,reason,2030-01-01", "id"),  # duplicate
    2500: ("MPI-02498,mpi,,Given,1980-01-01,NZL,,,biosecurity,reason,2030-01-01", "family_name"),
    5000: ("MPI-04998,mpi,Family,Given,1980-01-01,NZ,,,biosecurity,reason,2030-01-01", "nationality"),
    7777: ("MPI-07775,mpi,Family,Given,1980-01-01,NZL,,,tax,reason,2030-01-01", "category"),
    9999: ("MPI-09997,mpi,Family,Given,1980-01-01,NZL,,,biosecurity,reason,2030-13-01", "expires"),
}


@pytest.fixture
def instance(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("REDIS_URL", raising=False)
    return tmp_path


def _csv(tmp_path: Path) -> Path:
    lines = [f"MPI-{n:05d},mpi,Family{n},Given,1980-01-01,NZL,,,biosecurity,reason,2030-01-01" for n in range(10_000)]
    for line, (text, _) in BAD.items():
        lines[line - 2] = text  # line 1 is the header
    path = tmp_path / "list.csv"
    path.write_text(HEADER + "\n".join(lines) + "\n")
    return path


def test_ten_thousand_rows_with_a_handful_bad_report_each_and_import_nothing(instance, capsys):
    path = _csv(instance)
    assert main(["watchlist", "import", str(path), "--quiet"]) == 1
    errors = capsys.readouterr().err.splitlines()
    reported = sorted((int(m[1]), m[2]) for e in errors if (m := re.search(r": line (\d+): (\w+): ", e)))
    assert reported == sorted((line, field) for line, (_, field) in BAD.items())
    assert "nothing imported" in errors[-1]
    assert main(["watchlist", "import", str(path), "--skip-bad-rows", "--quiet"]) == 0
    assert "9995 created, 0 updated, 5 bad rows skipped" in capsys.readouterr().out
    # Importing again updates what is there rather than duplicating it.
    assert main(["watchlist", "import", str(path), "--skip-bad-rows", "--quiet"]) == 0
    assert "0 created, 9995 updated" in capsys.readouterr().out


def test_an_unreadable_file_is_a_clear_error(instance, capsys):
    assert main(["watchlist", "import", str(instance / "missing.csv")]) == 1
    assert "cannot read" in capsys.readouterr().err
