"""JSON no handler should ever see is refused where every body is read (``api.http.inputs.load_json``).

Nested thousands deep, a body used to exhaust Python's stack in the JSON parser (or in a walk
of it after); an integer of thousands of digits made ``int()`` raise; both answered 500 with a
traceback in the log. Now each is a 400 with its own code, before any view reads the body.
"""

from __future__ import annotations

import json
import logging

import pytest

from api.http.inputs import MAX_JSON_DEPTH
from engine.language import MAX_DEPTH
from tests.api.conftest import passenger, rule

DEEP = "[" * 10_000 + "]" * 10_000


def _post(api, path, who, text):
    return api.call("POST", path, who, data=text, content_type="application/json")


def _nested_rule_text(levels: int) -> str:
    # Built as text: json.dumps itself cannot write what is nested this deep.
    leaf = json.dumps({"field": "booking.checked_bags", "gte": 3})
    when = '{"not": ' * levels + leaf + "}" * levels
    head = json.dumps({"rule": rule("CUS-0700", when={}), "reason": "deep"})
    return head.replace('"when": {}', f'"when": {when}')


BODIES = {
    "deep_array": ("/v1/evaluations", "customs_system", '{"passenger": ' + DEEP + "}", "too_deep"),
    "deep_object": (
        "/v1/evaluations",
        "customs_system",
        '{"passenger": ' + '{"a": ' * 10_000 + "1" + "}" * 10_000 + "}",
        "too_deep",
    ),
    "deep_with_escape": (
        "/v1/evaluations",
        "customs_system",
        '{"passenger": {"passenger_id": "\\u00e9", "x": ' + DEEP + "}}",
        "too_deep",
    ),
    "long_integer": (
        "/v1/evaluations",
        "customs_system",
        '{"passenger": {"booking": {"checked_bags": ' + "9" * 5000 + "}}}",
        "number_too_long",
    ),
    "overflowing_float": (
        "/v1/evaluations",
        "customs_system",
        '{"passenger": {"booking": {"total_fare": 1e999}}}',
        "number_too_long",
    ),
    "nan": ("/v1/evaluations", "customs_system", '{"passenger": {"booking": {"total_fare": NaN}}}', "invalid_json"),
    "deep_rule": ("/v1/rules", "customs_officer", _nested_rule_text(10_000), "too_deep"),
    "deep_rule_version": ("/v1/rules/CUS-0500/versions", "customs_officer", _nested_rule_text(10_000), "too_deep"),
    "deep_key": ("/v1/keys", "admin", '{"name": "n", "agency": "mpi", "roles": ' + DEEP + "}", "too_deep"),
}


@pytest.mark.parametrize("case", BODIES, ids=list(BODIES))
def test_unreadable_json_is_a_400_with_a_code_not_a_500(api, caplog, case):
    path, who, text, code = BODIES[case]
    if "CUS-0500" in path:
        assert api.post("/v1/rules", who, json={"rule": rule(), "reason": "first"}).status_code == 201
    with caplog.at_level(logging.ERROR):
        response = _post(api, path, who, text)
    assert (response.status_code, response.json["code"]) == (400, code), response.json
    assert list(response.json["errors"]) == ["$"]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_a_body_at_the_depth_limit_is_read(api):
    # Nested exactly MAX_JSON_DEPTH deep it is read (and refused for what it says), one deeper it is not.
    def body(depth: int) -> str:
        return '{"name": "n", "agency": "mpi", "roles": ["system"], "x": ' + "[" * (depth - 1) + "]" * (depth - 1) + "}"

    at_limit = _post(api, "/v1/keys", "admin", body(MAX_JSON_DEPTH))
    assert (at_limit.status_code, list(at_limit.json["errors"])) == (422, ["x"])
    beyond = _post(api, "/v1/keys", "admin", body(MAX_JSON_DEPTH + 1))
    assert (beyond.status_code, beyond.json["code"]) == (400, "too_deep")


def test_brackets_inside_strings_do_not_count(api):
    record = passenger(traveller={"given_names": "[" * 45 + "{" * 45}, booking={"reference": "ABC123"})
    record["traveller"]["family_name"] = "]" * 50 + "\\" + '"'
    response = api.post("/v1/evaluations", "customs_system", json={"passenger": record})
    assert response.status_code == 200, response.json


def test_a_rule_deeper_than_the_language_allows_is_a_located_422(api):
    levels = MAX_DEPTH + 5
    response = _post(api, "/v1/rules", "customs_officer", _nested_rule_text(levels))
    assert (response.status_code, response.json["code"]) == (422, "invalid_rule"), response.json
    [(path, messages)] = response.json["errors"].items()
    assert path == "when" + ".not" * (MAX_DEPTH + 1) and "deeper" in messages[0]


def test_syntax_errors_are_still_bad_requests(api):
    response = _post(api, "/v1/evaluations", "customs_system", '{"passenger": [}')
    assert (response.status_code, response.json["code"]) == (400, "invalid_json")
    assert list(response.json["errors"]) == ["$"]
    empty = api.call("POST", "/v1/rules/CUS-0500/versions/1/submit", "customs_officer", data="")
    assert empty.status_code == 404  # an empty body is no body: the rule is looked up


def test_a_rule_as_deep_as_the_language_allows_fits_under_the_json_cap(api):
    # Each all/any level is two JSON levels (an object and its list): the cap must leave room for them all.
    when: dict = {"field": "booking.checked_bags", "gte": 3}
    for level in range(MAX_DEPTH):
        when = {"all" if level % 2 else "any": [when]}
    response = api.post("/v1/rules", "customs_officer", json={"rule": rule("CUS-0700", when=when), "reason": "deep"})
    assert response.status_code == 201, response.json


def test_each_request_reads_its_own_body_when_calls_nest(app, api):
    # The console calls /v1 in process while serving its own request: each inner request must
    # read and check its own body, not one kept from an earlier call in the same app context.
    with app.test_request_context("/console/", method="POST"):
        clean = api.post("/v1/keys", "admin", json={"name": "one", "agency": "mpi", "roles": ["system"]})
        assert clean.status_code == 201, clean.json
        bad = _post(api, "/v1/keys", "admin", json.dumps({"name": "t\u0000wo", "agency": "mpi", "roles": ["system"]}))
        assert (bad.status_code, list(bad.json["errors"])) == (422, ["name"]), bad.json
