"""Ordinary mistakes end ``targeting`` with one clear line and an exit status, never a traceback.

Each case runs the command as a user would, in a subprocess: output piped into ``head``, a
missing input file, a setting that is not a number, a ``postgres://`` URL (accepted), and a
PostgreSQL that is not there.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.api.conftest import POSTGRES_DATABASE, POSTGRES_URL, administer

ROOT = Path(__file__).resolve().parents[2]


def _run(*args: str, env: dict[str, str] | None = None, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    environ = {key: value for key, value in os.environ.items() if key not in ("DATABASE_URL", "REDIS_URL")}
    environ.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "targeting", *args],
        cwd=cwd,
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _one_line(result: subprocess.CompletedProcess[str]) -> str:
    assert "Traceback" not in result.stderr, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_output_piped_into_head_ends_quietly(tmp_path, cash_pack):
    pack = cash_pack
    records = tmp_path / "in.jsonl"
    line = json.dumps({"passenger_id": "P1", "booking": {"payment_method": "cash"}})
    records.write_text((line + "\n") * 5000)  # far more output than a pipe holds
    command = [sys.executable, "-m", "targeting", "evaluate", "--rules", str(pack), str(records)]
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert process.stdout is not None and process.stderr is not None
    assert json.loads(process.stdout.readline())["passenger_id"] == "P1"
    process.stdout.close()  # what `| head -1` does once it has its line
    status = process.wait(timeout=120)
    errors = process.stderr.read()
    process.stderr.close()
    assert (status, errors) == (0, "")


@pytest.mark.parametrize(
    "args",
    [
        ["evaluate", "--rules", "rules", "no-such-records.jsonl"],
        ["paxlst", "no-such-records.jsonl"],
        ["seed", "--accounts", "no-such-records.jsonl", "--watchlist", ""],
    ],
    ids=["evaluate", "paxlst", "seed"],
)
def test_a_missing_input_file_is_named(args, tmp_path):
    env = {"INSTANCE_PATH": str(tmp_path)}
    result = _run(*args, env=env)
    assert result.returncode == 1
    assert _one_line(result) == "targeting: no-such-records.jsonl: No such file or directory"


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("CACHE_TTL_SECONDS", "abc", "a whole number"),
        ("ENGINE_TIMEOUT_SECONDS", "soon", "a number"),
        ("ENGINE_TIMEOUT_SECONDS", "nan", "a number"),
        ("ENGINE_ISOLATION", "maybe", "true or false"),
    ],
)
def test_a_bad_setting_names_its_variable(variable, value, expected, tmp_path):
    result = _run("db", "upgrade", env={variable: value, "INSTANCE_PATH": str(tmp_path)})
    assert result.returncode == 2
    assert _one_line(result) == f"targeting: {variable}: expected {expected}, got {value!r}"


def test_a_postgres_url_is_accepted():
    # A database of the test's own: migrating the server's shared default database would leave
    # this project's tables in it.
    name = f"{POSTGRES_DATABASE}_cli"
    administer(f'CREATE DATABASE "{name}"')
    try:
        url = POSTGRES_URL.rsplit("/", 1)[0].replace("postgresql+psycopg://", "postgres://", 1) + f"/{name}"
        assert url.startswith("postgres://")
        result = _run("db", "upgrade", env={"DATABASE_URL": url})
        assert result.returncode == 0, result.stderr
        assert result.stdout.startswith("database ready: postgresql+psycopg://")
    finally:
        administer(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_an_unreachable_database_is_one_line(tmp_path):
    url = "postgresql+psycopg://postgres:secret@127.0.0.1:1/targeting"
    result = _run("db", "upgrade", env={"DATABASE_URL": url, "INSTANCE_PATH": str(tmp_path)})
    assert result.returncode == 1
    line = _one_line(result)
    assert line.startswith(
        "targeting: cannot reach the database postgresql+psycopg://postgres:***@127.0.0.1:1/targeting"
    )
    assert "secret" not in result.stderr + result.stdout


def test_the_in_memory_stores_are_refused_on_the_command_line(tmp_path):
    # Each command is a process: a seed into memory:// would vanish before the next command.
    result = _run("db", "upgrade", env={"DATABASE_URL": "memory://", "INSTANCE_PATH": str(tmp_path)})
    assert result.returncode == 2
    assert _one_line(result).startswith("targeting: DATABASE_URL=memory:// is for tests")
