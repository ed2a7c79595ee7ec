"""OpenAPI links: where an answer leads (a created rule to reading it and submitting it, an evaluation
to its decision). Clients and schemathesis' stateful phase follow them."""

from __future__ import annotations

from typing import Any

_RULE_VERSION = {"rule_id": "$response.body#/rule_id", "number": "$response.body#/number"}
_LIST_VERSION = {"list_name": "$response.body#/name", "number": "$response.body#/number"}
_ENTRY = {"entry_id": "$response.body#/id"}
_DECISION = {"decision_id": "$response.body#/results/0/decision_id"}
_NEW_RULE_VERSION = {
    "GetRule": ("get_rule", {"rule_id": "$response.body#/rule_id"}),
    "GetVersion": ("get_version", _RULE_VERSION),
    "SubmitVersion": ("submit", _RULE_VERSION),
}
_NEW_LIST_VERSION = {
    "GetList": ("get_list", {"list_name": "$response.body#/name"}),
    "GetListVersion": ("get_list_version", _LIST_VERSION),
    "SubmitListVersion": ("submit_list", _LIST_VERSION),
}

#: By operation ("METHOD /path"): the status whose answer links, and each link's operation and parameters.
LINKS: dict[str, tuple[str, dict[str, tuple[str, dict[str, str]]]]] = {
    "POST /v1/rules": ("201", _NEW_RULE_VERSION),
    "POST /v1/rules/{rule_id}/versions": ("201", _NEW_RULE_VERSION),
    "POST /v1/rules/{rule_id}/rollback": ("201", _NEW_RULE_VERSION),
    "POST /v1/rules/{rule_id}/versions/{number}/submit": ("200", {"ApproveVersion": ("approve", _RULE_VERSION)}),
    "POST /v1/rules/{rule_id}/versions/{number}/approve": ("200", {"ActivateVersion": ("activate", _RULE_VERSION)}),
    "POST /v1/lists": ("201", _NEW_LIST_VERSION),
    "POST /v1/lists/{list_name}/versions": ("201", _NEW_LIST_VERSION),
    "POST /v1/evaluations": (
        "200",
        {"GetDecision": ("decision", _DECISION), "ReplayDecision": ("replay_decision", _DECISION)},
    ),
    "POST /v1/watchlist": (
        "201",
        {
            "GetEntry": ("get_entry", _ENTRY),
            "ReplaceEntry": ("replace_entry", _ENTRY),
            "DeleteEntry": ("delete_entry", _ENTRY),
        },
    ),
    "POST /v1/keys": ("201", {"RevokeKey": ("revoke_key", {"key_id": "$response.body#/id"})}),
    "GET /v1/hits": ("200", {"GetHit": ("get_hit", {"hit_id": "$response.body#/hits/0/id"})}),
    "PUT /v1/journeys/{journey_key}/contributions/{agency}": (
        "200",
        {"GetJourney": ("get_journey", {"journey_key": "$request.path.journey_key"})},
    ),
}


def attach(operation_key: str, operation: dict[str, Any]) -> None:
    """Add the links of ``operation_key`` to the response they start from."""
    found = LINKS.get(operation_key)
    if found is None:
        return
    status, links = found
    responses = operation["responses"]
    response = responses.get(status) or responses.get(int(status))  # flask-smorest's keys may be numbers
    if isinstance(response, dict):
        response["links"] = {
            name: {"operationId": target, "parameters": dict(parameters)}
            for name, (target, parameters) in links.items()
        }
