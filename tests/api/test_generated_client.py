"""A client generated from ``/openapi.json`` (openapi-python-client, offline) works against a live service.

The agencies' systems generate their clients from the document, so this one is generated the same
way, into a temporary folder, and used as they would use it against the seeded service served over
HTTP on a free port: it submits a passenger (typed, from ``seeds/passengers.jsonl``), reads the
decision, and gets typed errors whose codes are the document's enums.
"""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from werkzeug.serving import make_server

from testing.live import free_port
from testing.seeded import SEEDS, seeded

PACKAGE = "generated_targeting_client"


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str], Any]]:
    """The seeded service on a free loopback port: its base URL, its demo keys, and the app."""
    service = seeded(tmp_path_factory.mktemp("seeded"))
    port = free_port()
    server = make_server("127.0.0.1", port, service.app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}", service.keys, service.app
    finally:
        server.shutdown()
        thread.join(timeout=10)
        service.services.rulesets.stop()
        service.services.watchlists.stop()


@pytest.fixture(scope="module")
def client_package(live: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """The client generated from the live service's own document, imported."""
    _, _, app = live
    folder = tmp_path_factory.mktemp("client")
    document = folder / "openapi.json"
    document.write_text(json.dumps(app.test_client().get("/openapi.json").json))
    config = folder / "config.yaml"
    config.write_text("post_hooks: []\n")  # no formatter run: the generator alone, offline
    generator = Path(sys.executable).with_name("openapi-python-client")
    command = [str(generator), "generate", "--path", str(document), "--output-path", str(folder / PACKAGE)]
    command += ["--meta", "none", "--config", str(config)]
    finished = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
    assert finished.returncode == 0, finished.stdout + finished.stderr
    sys.path.insert(0, str(folder))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(folder))
        for name in [name for name in sys.modules if name.split(".")[0] == PACKAGE]:
            del sys.modules[name]


def _module(package: Any, name: str) -> Any:
    return importlib.import_module(f"{package.__name__}.{name}")


def test_a_generated_client_submits_a_passenger_and_reads_the_decision(live, client_package):
    base_url, keys, _ = live
    models = _module(client_package, "models")
    evaluate = _module(client_package, "api.evaluations.evaluate")
    decision = _module(client_package, "api.evaluations.decision")
    system = client_package.Client(base_url=base_url, headers={"X-API-Key": keys["kcussystem"]})
    record = json.loads((SEEDS / "passengers.jsonl").read_text().splitlines()[1])  # DEMO-0002

    request = models.EvaluationRequest.from_dict({"passenger": record, "at": "2026-12-01T00:00:00Z"})
    assert isinstance(request.passenger, models.Passenger)
    assert request.passenger.booking.checked_bags == 3  # typed from the catalogue
    answer = evaluate.sync(client=system, body=request)
    assert isinstance(answer, models.EvaluationResponse)
    [result] = answer.results
    assert [match.rule_id for match in result.matches] == ["CUS-0002"]

    found = decision.sync(client=system, decision_id=result.decision_id)
    assert isinstance(found, models.Decision)
    assert (found.id, found.passenger_ref, found.score) == (result.decision_id, "DEMO-0002", result.score)


def test_a_generated_client_gets_typed_errors(live, client_package):
    base_url, keys, _ = live
    models = _module(client_package, "models")
    evaluate = _module(client_package, "api.evaluations.evaluate")
    create_rule = _module(client_package, "api.rules.create_rule")
    system = client_package.Client(base_url=base_url, headers={"X-API-Key": keys["kcussystem"]})

    bad = models.EvaluationRequest.from_dict({"passenger": {"passenger_id": "X-1", "traveller": {"nationality": "nz"}}})
    refused = evaluate.sync_detailed(client=system, body=bad)
    assert refused.status_code == 422
    assert isinstance(refused.parsed, models.EvaluateResponse422)
    assert refused.parsed.code is models.EvaluateResponse422Code.INVALID_PASSENGER
    assert list(refused.parsed.errors.to_dict()) == ["passenger.traveller.nationality"]

    rule = models.RuleCreate.from_dict(
        {"reason": "a system may not author rules", "rule": json.loads(json.dumps(_RULE))}
    )
    forbidden = create_rule.sync_detailed(client=system, body=rule)
    assert forbidden.status_code == 403
    assert forbidden.parsed.code is models.CreateRuleResponse403Code.ROLE_FORBIDDEN

    nobody = client_package.Client(base_url=base_url, headers={"X-API-Key": "tgt_nobody_wrong"})
    unauthenticated = evaluate.sync_detailed(client=nobody, body=bad)
    assert unauthenticated.parsed.code is models.EvaluateResponse401Code.UNAUTHENTICATED


_RULE = {
    "id": "CUS-0777",
    "title": "Anything",
    "weight": 10,
    "action": "notify",
    "when": {"field": "booking.checked_bags", "gte": 9},
}
