"""The image, correct by construction: Docker's engine is not on this machine, so what can be
checked without it is checked here (the packages it copies, what the build context leaves out,
the health check)."""

from __future__ import annotations

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


def test_the_build_context_leaves_out_secrets_and_the_virtualenv():
    ignored = {line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines()}
    assert {".venv", "instance", ".git"} <= ignored


def test_the_health_check_asks_the_port_the_service_listens_on():
    [check] = re.findall(r"^HEALTHCHECK.*\n\s*CMD (.+)$", DOCKERFILE, re.M)
    assert "os.environ.get('PORT', '8080')" in check and "/healthz" in check


def test_the_compose_ingest_workers_run_a_command_the_cli_takes_on_the_app_s_store_and_key():
    import yaml

    from targeting.cli import _parser

    services = yaml.safe_load((ROOT / "compose.yaml").read_text())["services"]
    worker, app = services["ingest"], services["app"]
    args = _parser().parse_args(worker["command"][1:])
    assert worker["command"][0] == "targeting" and args.handler.__name__ == "_ingest"
    # Its decisions must land where the service reads them, with identities hashed under the same key.
    for name in ("DATABASE_URL", "REDIS_URL", "IDENTITY_HASH_KEY"):
        assert worker["environment"][name] == app["environment"][name], name
    assert f":{args.metrics_port}/metrics" in " ".join(worker["healthcheck"]["test"])
    assert worker["environment"]["AMQP_URL"].startswith("amqp://") and "rabbitmq" in worker["depends_on"]
