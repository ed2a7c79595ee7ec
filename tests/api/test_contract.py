"""The API contract ``/openapi.json`` publishes: valid, complete, and what the service does.

The document passes the standard validator; every operation states its roles (the policy the
authorisation matrix tests), every error status it can answer with the codes of the registry, an
example request and answer; the passenger and rule schemas are the engine's. The examples
(``api/contract/examples.json``) are replayed on a freshly seeded service: each answer has the
recorded status and shape, times are RFC 3339 in UTC with ``Z``, paged lists link to their next
page and a stale ``If-Match`` is refused. One backend: what is checked is the HTTP contract.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from openapi_spec_validator import validate

from api.contract import examples
from api.contract.errors import documented_codes
from api.contract.plugin import PAGED, ROLES
from engine.codes import REGISTRY
from engine.json_schema import passenger_schemas, rule_schemas
from testing.seeded import run, seeded

METHODS = ("get", "post", "put", "patch", "delete")


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Any:
    found = seeded(tmp_path_factory.mktemp("seeded"))
    yield found
    found.services.rulesets.stop()
    found.services.watchlists.stop()


@pytest.fixture(scope="module")
def document(service: Any) -> dict[str, Any]:
    return service.app.test_client().get("/openapi.json").json


def _operations(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        f"{method.upper()} {path}": operation
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    }


def _flask_path(rule: str) -> str:
    return re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule)


def _views(app: Any) -> dict[str, Any]:
    return {
        f"{method} {_flask_path(rule.rule)}": app.view_functions[rule.endpoint]
        for rule in app.url_map.iter_rules()
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }


def test_the_document_passes_the_openapi_validator(document):
    validate(document)


def test_every_operation_states_the_roles_its_policy_allows(service, document):
    views = _views(service.app)
    operations = _operations(document)
    assert len(operations) >= 58
    for key, operation in operations.items():
        policy = getattr(views[key], "policy", None)
        expected = [] if policy is None else [role for role in ROLES if role in policy.roles]
        assert policy is None or set(expected) == set(policy.roles), key
        assert operation["x-roles"] == expected, key
        assert operation.get("x-agency-scope") == (
            None
            if policy is None or not policy.own_agency
            else "own, auditors any"
            if policy.auditors_cross_agency
            else "own"
        ), key
    ids = [operation["operationId"] for operation in operations.values()]
    assert len(ids) == len(set(ids))


def test_every_error_status_lists_registered_codes_of_that_status(document):
    for key, operation in _operations(document).items():
        statuses = [status for status in operation["responses"] if status.isdigit() and int(status) >= 400]
        if key.split(" ")[1].startswith("/v1/"):
            assert {"401", "403", "422", "429", "500", "503"} <= set(statuses), key
        for status in statuses:
            codes = operation["responses"][status]["content"]["application/json"]["schema"]["properties"]["code"]
            assert codes["enum"], (key, status)
            for code in codes["enum"]:
                assert REGISTRY[code].status == int(status), (key, status, code)
                assert f"`{code}`" in operation["responses"][status]["description"]
    paxlst = _operations(document)["POST /v1/manifests/paxlst"]
    assert "invalid_paxlst" in documented_codes(paxlst)
    assert {"self_approval", "precondition_failed"} <= documented_codes(
        _operations(document)["POST /v1/rules/{rule_id}/versions/{number}/approve"]
    )


def test_every_operation_has_an_example_request_and_answer(document):
    for key, operation in _operations(document).items():
        success = [
            response
            for status, response in operation["responses"].items()
            if status.startswith("2") and "content" in response
        ]
        for response in success:
            media = response["content"].get("application/json")
            if media is not None:
                assert "example" in media, key
        if "requestBody" in operation:
            assert any("example" in media for media in operation["requestBody"]["content"].values()), key
        recorded = [step for step in examples.load() if step["operation"] == key]
        assert any(step["status"] < 400 for step in recorded), f"{key}: no example in api/contract/examples.json"


def test_the_passenger_and_rule_schemas_are_the_engines(document):
    schemas = document["components"]["schemas"]
    for name, schema in {**passenger_schemas(), **rule_schemas()}.items():
        assert schemas[name] == schema, name
    request = _operations(document)["POST /v1/evaluations"]["requestBody"]["content"]["application/json"]["schema"]
    body = schemas[request["$ref"].rsplit("/", 1)[1]]
    assert body["properties"]["passenger"]["allOf"] == [{"$ref": "#/components/schemas/Passenger"}]
    assert body["properties"]["passengers"]["items"]["allOf"] == [{"$ref": "#/components/schemas/Passenger"}]
    rule_body = _operations(document)["POST /v1/rules"]["requestBody"]["content"]["application/json"]["schema"]
    assert schemas[rule_body["$ref"].rsplit("/", 1)[1]]["properties"]["rule"]["allOf"] == [
        {"$ref": "#/components/schemas/RuleBody"}
    ]
    assert "additionalProperties" not in schemas["Passenger"]["properties"]["booking"] or (
        schemas["Passenger"]["properties"]["booking"]["additionalProperties"] is False
    )


def _shape(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _shape(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_shape(item) for item in value]
    if isinstance(value, bool) or value is None:
        return type(value).__name__
    return "number" if isinstance(value, int | float) else type(value).__name__


#: Times that are not the service's own, or are local on purpose: records as submitted (a journey's
#: profile is the agencies' contributions) and a flight's local arrival beside its UTC one.
NOT_UTC = re.compile(r"^\.profile\.|_local$")
DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")


def _times(value: Any, path: str = "") -> list[tuple[str, str]]:
    if isinstance(value, dict):
        return [found for key, item in value.items() for found in _times(item, f"{path}.{key}")]
    if isinstance(value, list):
        return [found for item in value for found in _times(item, f"{path}[]")]
    return [(path, value)] if isinstance(value, str) and DATETIME.match(value) else []


@pytest.fixture(scope="module")
def replayed(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[dict[str, Any], dict[str, Any], Any]]:
    """Each recorded step, what replaying it on a fresh seeded service answered, and the raw response."""
    fresh = seeded(tmp_path_factory.mktemp("replay"))
    responses: list[Any] = []
    client = fresh.app.test_client()
    opened = client.open

    def keep(*args: Any, **kwargs: Any) -> Any:
        responses.append(opened(*args, **kwargs))
        return responses[-1]

    client.open = keep  # type: ignore[method-assign]
    recorded = list(examples.load())
    again = run(client, fresh.keys, recorded)
    fresh.services.rulesets.stop()
    fresh.services.watchlists.stop()
    return list(zip(recorded, again, responses, strict=True))


def test_the_examples_replay_with_their_status_and_shape(replayed):
    assert len(replayed) >= 60
    for recorded, again, _ in replayed:
        where = f"{recorded['operation']} ({recorded['example_path']})"
        assert again["status"] == recorded["status"], (where, again.get("answer"))
        assert again["answer_type"] == recorded["answer_type"], where
        assert _shape(again.get("answer")) == _shape(recorded.get("answer")), where


def test_every_answer_time_is_utc_with_z(replayed):
    for recorded, again, _ in replayed:
        for path, value in _times(again.get("answer")):
            if not NOT_UTC.search(path):
                assert value.endswith("Z"), (recorded["operation"], path, value)


def test_paged_lists_link_to_their_next_page(service, replayed):
    linked = {
        recorded["operation"] for recorded, _, response in replayed if 'rel="next"' in response.headers.get("Link", "")
    }
    assert "GET /v1/audit" in linked and "GET /v1/watchlist" in linked
    assert linked <= set(PAGED)
    [(_, answer, response)] = [item for item in replayed if item[0]["operation"] == "GET /v1/audit"]
    target = re.fullmatch(r'<([^>]+)>; rel="next"', response.headers["Link"]).group(1)
    assert f"after={answer['answer']['next_after']}" in target


def test_a_stale_if_match_is_refused_and_a_current_one_accepted(replayed):
    changes = [item for item in replayed if item[0]["operation"] == "POST /v1/rules/{rule_id}/versions"]
    (_, accepted, first), (_, refused, second) = changes
    assert accepted["status"] == 201 and first.headers["ETag"].startswith('"v2-draft-')
    assert (refused["status"], refused["answer"]["code"]) == (412, "precondition_failed")
    assert "ETag" not in second.headers
