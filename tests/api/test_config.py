"""Settings from files (``NAME_FILE``, Docker and Kubernetes secrets) and the keys several replicas
must share: each refusal names the variable, before anything starts."""

from __future__ import annotations

import dataclasses

import pytest

from api import gunicorn_conf
from api.config import SettingError, Settings, describe

SECRETS = [spec for spec in dataclasses.fields(Settings) if spec.metadata.get("secret")]


def test_every_url_and_key_setting_can_come_from_a_file():
    # URLs carry passwords, keys are keys: each must be readable from a secret file.
    named = {spec.name for spec in dataclasses.fields(Settings) if spec.name.endswith(("_url", "_key"))}
    assert named <= {spec.name for spec in SECRETS}
    assert {"database_url", "identity_hash_key", "console_secret_key"} <= named


@pytest.mark.parametrize("spec", SECRETS, ids=lambda spec: spec.name)
def test_a_secret_setting_is_read_from_its_file_without_the_final_line_break(tmp_path, spec):
    value = "postgresql+psycopg://u:p@db/x" if spec.name == "database_url" else "s3cret value"
    path = tmp_path / "secret"
    path.write_text(value + "\n")
    settings = Settings.from_env({f"{spec.name.upper()}_FILE": str(path)})
    assert getattr(settings, spec.name) == value


def test_the_variable_and_its_file_together_are_refused(tmp_path):
    path = tmp_path / "key"
    path.write_text("from-file")
    with pytest.raises(SettingError, match=r"^IDENTITY_HASH_KEY and IDENTITY_HASH_KEY_FILE are both set"):
        Settings.from_env({"IDENTITY_HASH_KEY": "inline", "IDENTITY_HASH_KEY_FILE": str(path)})


def test_a_missing_or_empty_secret_file_is_named(tmp_path):
    missing = tmp_path / "nope"
    with pytest.raises(SettingError, match=f"^CONSOLE_SECRET_KEY_FILE: cannot read {missing}: No such file"):
        Settings.from_env({"CONSOLE_SECRET_KEY_FILE": str(missing)})
    empty = tmp_path / "empty"
    empty.write_text("\n")
    with pytest.raises(SettingError, match=f"^CONSOLE_SECRET_KEY_FILE: {empty} is empty$"):
        Settings.from_env({"CONSOLE_SECRET_KEY_FILE": str(empty)})


def test_several_replicas_need_the_shared_keys(tmp_path):
    with pytest.raises(SettingError, match=r"^CONSOLE_SECRET_KEY and IDENTITY_HASH_KEY must be set .* REPLICAS is 3"):
        Settings.from_env({"REPLICAS": "3"})
    with pytest.raises(SettingError, match=r"^CONSOLE_SECRET_KEY must be set"):
        Settings.from_env({"REPLICAS": "2", "IDENTITY_HASH_KEY": "k"})
    key = tmp_path / "console"
    key.write_text("c")
    settings = Settings.from_env({"REPLICAS": "2", "IDENTITY_HASH_KEY": "k", "CONSOLE_SECRET_KEY_FILE": str(key)})
    assert (settings.replicas, settings.console_secret_key) == (2, "c")
    assert Settings.from_env({}).replicas == 1  # one replica makes and keeps its own keys in INSTANCE_PATH
    with pytest.raises(SettingError, match=r"^REPLICAS: expected a whole number from 1, got 0"):
        Settings.from_env({"REPLICAS": "0"})


def test_gunicorn_refuses_to_start_on_settings_the_service_cannot_run_with(monkeypatch):
    monkeypatch.setenv("REPLICAS", "2")
    monkeypatch.delenv("CONSOLE_SECRET_KEY", raising=False)
    monkeypatch.setenv("IDENTITY_HASH_KEY", "k")
    with pytest.raises(RuntimeError, match=r"^targeting: CONSOLE_SECRET_KEY must be set"):
        gunicorn_conf.on_starting(server=None)
    monkeypatch.setenv("CONSOLE_SECRET_KEY", "c")
    gunicorn_conf.on_starting(server=None)


def test_the_settings_table_names_each_file_variant():
    meanings = {name: meaning for name, _, meaning in describe()}
    for spec in SECRETS:
        assert f"{spec.name.upper()}_FILE" in meanings[spec.name.upper()]
