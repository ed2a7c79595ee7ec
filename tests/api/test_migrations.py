"""Migrations that change data, run on a database written by the revision before them."""

from __future__ import annotations

from alembic import command
from sqlalchemy import text

from api.db import alembic_config, make_engine, upgrade


def test_0006_turns_a_json_null_record_into_sql_null(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'old.sqlite3'}")
    try:
        config = alembic_config(str(engine.url))
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "0005")
        columns = (
            "id, created_at, evaluated_at, ruleset_seq, ruleset_version, agency, submitted_by, identity_hash, "
            "matches, score, cached, record"
        )
        with engine.begin() as connection:
            for decision_id, record in (("purged", "null"), ("kept", '{"passenger_id": "P-1"}')):
                connection.execute(
                    text(
                        f"INSERT INTO decisions ({columns}) VALUES (:id, '2026-01-01', '2026-01-01', 1, 'rs', "
                        "'customs', 'test', 'h', '[]', 0, 0, :record)"
                    ),
                    {"id": decision_id, "record": record},
                )
        upgrade(engine)
        with engine.connect() as connection:
            found = dict(connection.execute(text("SELECT id, record FROM decisions")).all())
        assert found == {"purged": None, "kept": '{"passenger_id": "P-1"}'}
    finally:
        engine.dispose()


def test_0008_gives_each_stored_decision_its_records_scheduled_arrival(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'old.sqlite3'}")
    try:
        config = alembic_config(str(engine.url))
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "0007")
        columns = (
            "id, created_at, evaluated_at, ruleset_seq, ruleset_version, agency, submitted_by, identity_hash, "
            "matches, score, cached, record"
        )
        records = {
            "nz-time": '{"flight": {"scheduled_arrival": "2026-12-03T08:00:00.5+13:00"}}',
            "no-offset": '{"flight": {"scheduled_arrival": "2026-12-03T08:00:00"}}',
            "a-date": '{"flight": {"scheduled_arrival": "2026-12-03"}}',
            "not-a-time": '{"flight": {"scheduled_arrival": "soon"}}',
            "no-flight": '{"passenger_id": "P-1"}',
            "purged": None,
        }
        with engine.begin() as connection:
            for decision_id, record in records.items():
                connection.execute(
                    text(
                        f"INSERT INTO decisions ({columns}) VALUES (:id, '2026-01-01', '2026-01-01', 1, 'rs', "
                        "'customs', 'test', 'h', '[]', 0, 0, :record)"
                    ),
                    {"id": decision_id, "record": record},
                )
        upgrade(engine)
        with engine.connect() as connection:
            found = dict(connection.execute(text("SELECT id, arrival_at FROM decisions")).all())
        assert found == {
            "nz-time": "2026-12-02 19:00:00.000000",  # UTC, whole seconds, as the stores write it
            "no-offset": "2026-12-03 08:00:00.000000",  # taken as UTC
            "a-date": None,
            "not-a-time": None,
            "no-flight": None,
            "purged": None,
        }
    finally:
        engine.dispose()
