"""The apispec plugin that completes ``/openapi.json`` from what the code already declares.

For every operation: an ``operationId`` (the view's name), the roles that may call it (``x-roles``,
from the ``@requires`` policy the authorisation matrix tests), every error status with the codes
it can carry (``api.contract.errors``), an example request and answer recorded on the seeded
service (``api.contract.examples``), and links to the operations its answer leads to
(``api.contract.links``). The passenger record and the rule language come in as typed schemas
from the engine's catalogue (``engine.json_schema``); a marshmallow field names one with
``metadata={"component": "Passenger"}``.
"""

from __future__ import annotations

from typing import Any

from apispec import APISpec, BasePlugin
from flask import Flask

from api.contract import examples, links
from api.contract.errors import error_responses, operation_codes
from api.http.auth import takes_json_body
from engine.json_schema import passenger_schemas, reference_list_schema, rule_schemas

#: Roles the policy of an operation may name (the README's table of who may call what).
ROLES = ("officer", "approver", "system", "auditor", "admin")
#: The lists that page (``api.http.paging``): each answers ``Link: <...>; rel="next"`` while there is more.
PAGED = ("GET /v1/worklist", "GET /v1/audit", "GET /v1/audit/identity-views", "GET /v1/hits", "GET /v1/watchlist")
_LINK = {
    "description": 'The next page: `<this request with the paging parameter set for it>; rel="next"` (RFC 8288). '
    "Absent on the last page.",
    "schema": {"type": "string"},
}
_ETAG = {
    "description": "The tag of the rule or list (or version) the answer shows: send it as If-Match with a change",
    "schema": {"type": "string"},
}
_IF_MATCH = {
    "in": "header",
    "name": "If-Match",
    "required": False,
    "description": "The ETag of the rule or list (or version) as you read it: if it changed since, the change is "
    "refused with 412 precondition_failed instead of overwriting what someone else did.",
    "schema": {"type": "string"},
}


class ContractPlugin(BasePlugin):
    def __init__(self, app: Flask) -> None:
        self.app = app
        self.examples = examples.load()

    def init_spec(self, spec: APISpec) -> None:
        for name, schema in {**passenger_schemas(), **rule_schemas(), **reference_list_schema()}.items():
            spec.components.schema(name, component=schema)

    def path_helper(
        self,
        path: str | None = None,
        operations: dict[Any, Any] | None = None,
        parameters: list[dict[Any, Any]] | None = None,
        **kwargs: Any,
    ) -> str | None:
        rule = kwargs.get("rule")
        if rule is not None:
            examples.add_parameter_examples(self.examples, rule, parameters or [])
        return None  # the path is flask-smorest's to write

    def operation_helper(self, path: str | None = None, operations: dict | None = None, **kwargs: Any) -> None:
        rule = kwargs.get("rule")
        if rule is None or path is None:
            return
        view = self.app.view_functions[rule.endpoint]
        for method, operation in (operations or {}).items():
            operation["operationId"] = view.__name__
            _document_roles(view, operation)
            body = "json" if takes_json_body(view) else ("other" if "requestBody" in operation else None)
            responses = operation.setdefault("responses", {})
            for status in [status for status in responses if str(status).isdigit() and int(status) >= 400]:
                del responses[status]
            responses.update(error_responses(operation_codes(view, rule.arguments, body)))
            _document_headers(view, f"{method.upper()} {path}", method, operation)
            examples.attach(self.examples, f"{method.upper()} {path}", operation)
            links.attach(f"{method.upper()} {path}", operation)


def _document_headers(view: Any, operation_key: str, method: str, operation: dict[str, Any]) -> None:
    """``ETag`` and ``If-Match`` of conditional operations, ``Link`` of paged ones."""
    success = [
        response
        for status, response in operation["responses"].items()
        if str(status).startswith("2") and isinstance(response, dict)
    ]
    headers: dict[str, Any] = {}
    if getattr(view, "conditional", False):
        headers["ETag"] = _ETAG
        if method.upper() != "GET":
            operation.setdefault("parameters", []).append(dict(_IF_MATCH))
    if operation_key in PAGED:
        headers["Link"] = _LINK
    for response in success:
        response.setdefault("headers", {}).update(headers)


def component_reference(converter: Any, field: Any, ret: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """A marshmallow field with ``metadata={"component": NAME}`` documented as that component schema."""
    name = field.metadata.get("component")
    if not name:
        return {}
    kept = {key: value for key, value in ret.items() if key in ("description", "nullable", "readOnly", "writeOnly")}
    ret.clear()
    reference = {"$ref": f"#/components/schemas/{name}"}
    return {**kept, "allOf": [reference]} if kept else reference


def _document_roles(view: Any, operation: dict[str, Any]) -> None:
    policy = getattr(view, "policy", None)
    if policy is None:
        operation["x-roles"] = []
        note = "Reachable without a key."
    else:
        roles = [role for role in ROLES if role in policy.roles]
        operation["x-roles"] = roles
        note = f"Roles: {', '.join(roles)}."
        if policy.own_agency:
            scope = "own" if not policy.auditors_cross_agency else "own, auditors any"
            operation["x-agency-scope"] = scope
            note += " The target must be of the caller's agency" + (
                " (auditors: any agency's)." if policy.auditors_cross_agency else "."
            )
    operation["description"] = (operation.get("description", "") + "\n\n" + note).strip()
