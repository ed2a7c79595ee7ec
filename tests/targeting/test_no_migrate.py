"""``--no-migrate``: long-running processes (compose's app and ingest workers) leave migrating to the
one-shot ``targeting db upgrade`` and refuse, in one line, a schema that is not current."""

from __future__ import annotations

from pathlib import Path

import pytest

from targeting.cli import main
from targeting.service import _services


@pytest.fixture
def instance(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("REDIS_URL", raising=False)
    return tmp_path


@pytest.mark.parametrize("command", [["serve", "--no-migrate"], ["ingest", "--no-migrate", "--watch", "."]])
def test_an_unmigrated_database_is_refused_not_migrated(instance, capsys, command):
    assert main(command) == 1
    line = capsys.readouterr().err.splitlines()[-1]  # ingest's JSON logs come first
    where = f"sqlite:///{instance}/targeting.sqlite3"
    assert line.startswith(f"targeting: {where}: the database schema is at revision none")
    assert line.endswith("run 'targeting db upgrade' first (compose: the migrate service)")
    assert main(["db", "upgrade"]) == 0  # the refusal left nothing half-made for the migration to trip on


def test_a_migrated_database_is_used_as_it_is(instance):
    assert main(["db", "upgrade"]) == 0
    services = _services(migrate=False)
    try:
        assert services.rule_store.latest_ruleset() is None
    finally:
        services.engine.dispose()
