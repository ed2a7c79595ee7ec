"""schemathesis against every operation of the app's own ``/openapi.json``, in process (WSGI).

Each operation is called with keys of the roles its policy allows (and without a key for the
public ones), with generated valid and invalid input, on generated path parameters and again on
objects that exist (a live rule, a decision, a hit, a watchlist entry). Nothing may answer 5xx, and every answer must be
what the description documents: status, content type and body schema.

Bounded for CI: ``FUZZ_EXAMPLES`` examples per run (default 15), derandomised. A longer run:
``FUZZ_EXAMPLES=300 .venv/bin/python -m pytest tests/api/test_openapi_fuzz.py`` (see README, Tests).
"""

from __future__ import annotations

import os
import re
from dataclasses import replace
from typing import Any

import hypothesis
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from api import create_app
from api.contract.links import LINKS
from api.keys.memory import MemoryKeyStore
from tests.api.conftest import FAST_HASHER, OPERATOR, ApiClient, build_services, live_rule, passenger, watchlist_entry

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "15"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
#: Who calls an operation, by the roles its policy allows: one customs account per role.
ACCOUNT_FOR_ROLE = {
    "officer": "customs_officer",
    "approver": "customs_approver",
    "system": "customs_system",
    "auditor": "auditor",
    "admin": "admin",
}


def _existing_objects(api: ApiClient, services: Any) -> dict[str, str]:
    """Path parameter values that name real objects, so fuzzing reaches past the 404s."""
    live_rule(api)
    decision = api.post("/v1/evaluations", "customs_system", json={"passenger": passenger()}).json
    [hit] = services.hits.hits(None)
    entry = watchlist_entry("fuzz test")
    # Never a key of the shared test accounts: the fuzzer may revoke whatever key it is given.
    throwaway, _ = services.key_store.create_key("fuzz-throwaway", "customs", ["system"], OPERATOR)
    return {
        "rule_id": "CUS-0500",
        "number": "1",
        "decision_id": decision["results"][0]["decision_id"],
        "hit_id": hit.id,
        "entry_id": services.watchlist_store.create(entry, OPERATOR).id,
        "key_id": throwaway.id,
        "flight": "LA801",
        "day": "2026-12-01",
        "viewer": "mpi",
        "owner": "customs",
        "agency": "customs",
        "journey_key": "j-" + "0" * 32,
    }


def _callers(app: Any, operation: Any, keys: dict[str, str]) -> list[str | None]:
    path = operation.path.replace("{", "<").replace("}", ">")
    for rule in app.url_map.iter_rules():
        if _flask_path(rule.rule) == path and operation.method.upper() in rule.methods:
            policy = getattr(app.view_functions[rule.endpoint], "policy", None)
            if policy is None:
                return [None]
            return [keys[ACCOUNT_FOR_ROLE[role]] for role in sorted(policy.roles) if role in ACCOUNT_FOR_ROLE]
    raise AssertionError(f"{operation.label} is documented but not routed")


def _flask_path(rule: str) -> str:
    return re.sub(r"<(?:\w+:)?(\w+)>", r"<\1>", rule)


def _strategies(operation: Any, existing: dict[str, str]) -> list[st.SearchStrategy[Any]]:
    """Valid and invalid input, each on generated path parameters and (where all are known) real objects.

    Separate runs rather than one ``one_of``: Hypothesis favours a ``one_of``'s first branches, and
    the real objects are where the fuzzing gets past the 404s.
    """
    names = [parameter.name for parameter in operation.path_parameters]
    variants: list[dict[str, str] | None] = [None]
    if names and all(name in existing for name in names):
        variants.append({name: existing[name] for name in names})
    # Invalid input needs a query or a body to make invalid: a path parameter is text whatever is sent.
    negatable = bool(list(operation.query) or list(operation.body))
    return [
        operation.as_strategy(generation_mode=mode, path_parameters=known)
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
        for known in variants
        if mode is GenerationMode.POSITIVE or negatable
    ]


def _fuzz(strategy: st.SearchStrategy[Any], callers: list[str | None], statuses: list[int]) -> None:
    @hypothesis.settings(
        max_examples=EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],  # no shrinking: a failing run stays bounded
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy, key=st.sampled_from(callers))
    def exercise(case: Any, key: str | None) -> None:
        response = case.call_and_validate(headers={"X-API-Key": key} if key else None, checks=CHECKS)
        statuses.append(response.status_code)

    exercise()


def test_every_operation_answers_as_documented(services, backend):
    # The limits are tested in test_rate_limits.py; here they would only turn fuzzing into 429s.
    app = create_app(replace(services.settings, rate_limit="1000000/minute"), services=services)
    api = ApiClient(app.test_client(), backend.keys)
    existing = _existing_objects(api, services)
    document = app.test_client().get("/openapi.json").json
    # The key is the test's to give: left in, negative cases would drop it, and authentication is the
    # authorisation matrix's to test; here the point is getting past it.
    document.pop("security")
    schema = schemathesis.openapi.from_dict(document)
    schema.app = app

    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 40
    failures: dict[str, str] = {}
    answers: dict[str, list[int]] = {}
    for operation in operations:
        callers = _callers(app, operation, backend.keys)
        for strategy in _strategies(operation, existing):
            try:
                _fuzz(strategy, callers, answers.setdefault(operation.label, []))
            except (Exception, BaseExceptionGroup) as exc:  # every operation runs, and every failing one is reported
                failures.setdefault(operation.label, str(exc)[:3000])
    assert not failures, "\n\n".join(f"{label}:\n{text}" for label, text in failures.items())
    # It got somewhere: every caller's key was accepted, and most operations were made to succeed.
    assert not [label for label, codes in answers.items() if 401 in codes]
    succeeded = [label for label, codes in answers.items() if any(200 <= code < 300 for code in codes)]
    assert len(succeeded) >= len(operations) // 2, sorted(answers.items())
    for read in ("decisions/{decision_id}", "rules/{rule_id}", "hits/{hit_id}", "watchlist/{entry_id}"):
        assert f"GET /v1/{read}" in succeeded, answers[f"GET /v1/{read}"]


def test_the_links_lead_where_they_say(services, backend):
    """schemathesis' stateful phase: sequences of calls that follow the document's links (a created rule
    read and submitted, an evaluation's decision read and replayed, ...), each answer as documented.

    Each sequence starts on fresh in-memory stores (the app's services replaced), so the same choices meet
    the same answers, as Hypothesis requires; one backend, since the links are the document's, whatever
    keeps the data.
    """
    if backend.name != "memory":
        pytest.skip("the links are the document's: checked on the in-memory stores only")
    settings = replace(services.settings, rate_limit="1000000/minute")
    app = create_app(settings, services=services)

    def fresh() -> None:
        built = build_services(settings)
        built.key_store = MemoryKeyStore(built.audit.transaction, built.audit, FAST_HASHER, backend.issued)
        built.rulesets.refresh()
        built.watchlists.refresh()
        app.extensions["targeting"] = built

    document = app.test_client().get("/openapi.json").json
    document.pop("security")
    # The operations the links join: each sequence starts at one of them, so most go somewhere.
    linked = {target for _, links in LINKS.values() for target, _ in links.values()}
    for key in LINKS:
        method, path = key.split(" ", 1)
        linked.add(document["paths"][path][method.lower()]["operationId"])
    schema = schemathesis.openapi.from_dict(document).include(operation_id=sorted(linked))
    schema.app = app
    schema.config.phases.stateful.inference.algorithms = []  # the document's own links, not guessed ones
    followed: list[str] = []

    class Machine(schema.as_state_machine()):  # type: ignore[misc]
        def setup(self) -> None:
            fresh()

        def get_call_kwargs(self, case: Any) -> dict[str, Any]:
            [key, *_] = _callers(app, case.operation, backend.keys) or [None]
            return {"headers": {"X-API-Key": key}} if key else {}

        def step(self, input: Any) -> Any:
            output = super().step(input)
            if input.transition is not None and input.is_applied:
                followed.append(f"{input.transition.id} {output.response.status_code}")
            return output

        def validate_response(self, response: Any, case: Any, additional_checks: Any = None, **kwargs: Any) -> None:
            case.validate_response(response, checks=CHECKS, transport_kwargs=kwargs)

    Machine.run(
        settings=hypothesis.settings(
            max_examples=EXAMPLES * 3,
            stateful_step_count=4,
            derandomize=True,
            database=None,
            deadline=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
    )
    # The links lead somewhere real: a created rule read, a new list's version read.
    assert any(step.endswith(" 200") for step in followed), followed
