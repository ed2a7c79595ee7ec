"""The image, correct by construction: Docker's engine is not on this machine, so what can be
checked without it is checked here (the packages it copies, what the build context leaves out,
the health check)."""

from __future__ import annotations

import dataclasses
import fnmatch
import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCKERFILE = (ROOT / "Dockerfile").read_text()


def test_the_build_stage_copies_every_package_the_wheel_includes():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    packages = {pattern.removesuffix("*") for pattern in project["tool"]["setuptools"]["packages"]["find"]["include"]}
    copied = set(re.findall(r"^COPY (\w+) \1$", DOCKERFILE, re.M))
    assert packages <= copied, f"not copied into the build stage: {sorted(packages - copied)}"


def test_every_copied_path_exists():
    for line in re.findall(r"^COPY (?!--from)(.+)$", DOCKERFILE, re.M):
        *sources, _ = line.split()
        for source in sources:
            assert (ROOT / source).exists(), source


def _ignored() -> set[str]:
    lines = (ROOT / ".dockerignore").read_text().splitlines()
    return {line.strip() for line in lines if line.strip() and not line.startswith("#")}


def test_the_build_context_leaves_out_secrets_and_the_virtualenv():
    assert {".venv", "instance", "secrets", ".git", "tests"} <= _ignored()


def test_nothing_the_image_copies_is_left_out_of_the_build_context():
    copied = [source for line in re.findall(r"^COPY (?!--from)(.+)$", DOCKERFILE, re.M) for source in line.split()[:-1]]
    for source in copied:
        top = Path(source).parts[0]
        assert not any(fnmatch.fnmatch(top, pattern) for pattern in _ignored()), source


def test_the_image_installs_exactly_the_hashed_runtime_lock():
    # Every dependency from the lock with its hashes checked, the project without resolving any other.
    assert "pip wheel --no-cache-dir --require-hashes --wheel-dir /wheels -r requirements/runtime.lock" in DOCKERFILE
    assert "pip wheel --no-cache-dir --no-deps --wheel-dir /wheels ." in DOCKERFILE
    [install] = re.findall(r"^RUN pip install (.+)$", DOCKERFILE, re.M)
    assert "--no-index /wheels/*.whl" in install  # nothing fetched in the final stage


def test_the_health_check_asks_the_port_the_service_listens_on():
    [check] = re.findall(r"^HEALTHCHECK.*\n\s*CMD (.+)$", DOCKERFILE, re.M)
    assert "os.environ.get('PORT', '8080')" in check and "/healthz" in check


def _compose() -> dict:
    import yaml

    return yaml.safe_load((ROOT / "compose.yaml").read_text())


def _command(service: dict):
    from targeting.cli import _parser

    assert service["command"][0] == "targeting"
    return _parser().parse_args(service["command"][1:])


def test_the_compose_ingest_workers_run_a_command_the_cli_takes_on_the_app_s_store_and_key():
    services = _compose()["services"]
    worker, app = services["ingest"], services["app"]
    args = _command(worker)
    assert args.handler.__name__ == "_ingest"
    # Its decisions must land where the service reads them, with identities hashed under the same key.
    for name in ("DATABASE_URL", "REDIS_URL", "IDENTITY_HASH_KEY_FILE"):
        assert worker["environment"][name] == app["environment"][name], name
    assert worker["secrets"] == app["secrets"]
    assert f":{args.metrics_port}/metrics" in " ".join(worker["healthcheck"]["test"])
    assert worker["environment"]["AMQP_URL"].startswith("amqp://") and "rabbitmq" in worker["depends_on"]


def test_compose_migrates_once_before_the_app_and_the_workers_start():
    services = _compose()["services"]
    assert _command(services["migrate"]).handler.__name__ == "_db_upgrade"
    assert services["migrate"]["restart"] == "no"
    for name in ("app", "ingest", "seed"):
        assert services[name]["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}, name
    for name in ("app", "ingest"):  # long-running: they check the schema, never migrate it themselves
        assert _command(services[name]).no_migrate, name


def test_seeding_is_a_compose_command_that_up_leaves_alone():
    seed = _compose()["services"]["seed"]
    assert _command(seed).handler.__name__ == "_seed" and seed["profiles"] == ["seed"]
    assert "docker compose run --rm seed" in (ROOT / "README.md").read_text()


def test_compose_hands_the_keys_over_as_files_and_sets_only_known_settings():
    from api.config import Settings

    compose = _compose()
    settings = {spec.name.upper(): spec for spec in dataclasses.fields(Settings) if "doc" in spec.metadata}
    for name, service in compose["services"].items():
        if service.get("build") != ".":
            continue
        environment = service["environment"]
        for variable, value in environment.items():
            setting = settings.get(variable.removesuffix("_FILE"))
            assert setting is not None, (name, variable)
            if variable.endswith("_FILE"):
                assert setting.metadata.get("secret"), (name, variable)
                secret = value.removeprefix("/run/secrets/")
                assert secret in service["secrets"] and secret in compose["secrets"], (name, variable)
        for key in ("IDENTITY_HASH_KEY", "CONSOLE_SECRET_KEY"):
            assert f"{key}_FILE" in environment and key not in environment, (name, key)
