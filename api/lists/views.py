"""``/v1/lists``: reference lists, authored by officers of the owning agency and approved by a second
person, like rules. Lists hold codes and names of places, agencies or documents, not passengers:
every officer, approver and auditor may read them."""

from __future__ import annotations

import csv
import io
from typing import Any

from flask_smorest import Blueprint

from api.common import Unprocessable
from api.container import services
from api.contract import answers
from api.http.auth import current_actor, requires
from api.http.conditional import conditional, tag_of_document, tag_of_version
from api.lists.interface import ListChange, ListVersion, ReferenceList
from api.lists.schemas import (
    ListCreateSchema,
    ListDiffQuerySchema,
    ListDiffSchema,
    ListListSchema,
    ListSchema,
    ListVersionSchema,
)
from api.rules.schemas import ReasonOnlySchema

blp = Blueprint("lists", __name__, url_prefix="/v1", description="Reference lists rules name with in_list")

READERS = ("officer", "approver", "auditor")


def _current_tag(list_name: str, number: int | None = None, **_: Any) -> str:
    """The ETag the list (or its version ``number``) has now (``api.http.conditional``)."""
    store = services().list_store
    if number is None:
        return tag_of_document(store.list(list_name).versions)
    return tag_of_version(store.version(list_name, number))


@blp.route("/lists", methods=["GET"])
@requires(*READERS)
@blp.response(200, ListListSchema)
def list_lists() -> dict[str, Any]:
    """Every reference list: owner, shared or not, active version and size."""
    return {"lists": services().list_store.lists()}


@blp.route("/lists", methods=["POST"])
@requires("officer")
@answers("invalid_agency", "invalid_list", "list_exists")
@blp.arguments(ListCreateSchema)
@blp.response(201, ListVersionSchema)
def create_list(body: dict[str, Any]) -> ListVersion:
    """Create a list of the caller's agency; its first version is a draft."""
    actor = current_actor()
    if actor.agency not in ("customs", "mpi", "immigration"):
        raise Unprocessable("lists belong to an agency; this key has none", "invalid_agency")
    return services().list_store.create(actor.agency, _document(body), body["reason"], actor)


@blp.route("/lists/<list_name>", methods=["GET"])
@requires(*READERS)
@answers("list_not_found")
@conditional(_current_tag)
@blp.response(200, ListSchema)
def get_list(list_name: str) -> ReferenceList:
    """A list with the history of its versions."""
    return services().list_store.list(list_name)


@blp.route("/lists/<list_name>/diff", methods=["GET"])
@requires(*READERS)
@answers("list_not_found", "version_not_found")
@blp.arguments(ListDiffQuerySchema, location="query")
@blp.response(200, ListDiffSchema)
def diff_list(query: dict[str, Any], list_name: str) -> ListChange:
    """The values one version adds and removes against another."""
    return services().list_store.diff(list_name, query["from_version"], query["to_version"])


@blp.route("/lists/<list_name>/versions", methods=["POST"])
@requires("officer", own_agency=True)
@answers("invalid_list", "precondition_failed")
@conditional(_current_tag)
@blp.arguments(ListCreateSchema)
@blp.response(201, ListVersionSchema)
def add_list_version(body: dict[str, Any], list_name: str) -> ListVersion:
    """A new draft version of the list."""
    return services().list_store.add_version(list_name, _document(body), body["reason"], current_actor())


@blp.route("/lists/<list_name>/versions/<int:number>", methods=["GET"])
@requires(*READERS)
@answers("list_not_found", "version_not_found")
@conditional(_current_tag)
@blp.response(200, ListVersionSchema)
def get_list_version(list_name: str, number: int) -> ListVersion:
    """One version with its values."""
    return services().list_store.version(list_name, number)


@blp.route("/lists/<list_name>/versions/<int:number>/submit", methods=["POST"])
@requires("officer", own_agency=True)
@answers("version_not_found", "invalid_transition", "precondition_failed")
@conditional(_current_tag)
@blp.arguments(ReasonOnlySchema)
@blp.response(200, ListVersionSchema)
def submit_list(body: dict[str, Any], list_name: str, number: int) -> ListVersion:
    """Submit a draft for approval."""
    return services().list_store.transition(list_name, number, "submit", current_actor(), body["reason"])


@blp.route("/lists/<list_name>/versions/<int:number>/approve", methods=["POST"])
@requires("approver", own_agency=True)
@answers("version_not_found", "invalid_transition", "self_approval", "precondition_failed")
@conditional(_current_tag)
@blp.arguments(ReasonOnlySchema)
@blp.response(200, ListVersionSchema)
def approve_list(body: dict[str, Any], list_name: str, number: int) -> ListVersion:
    """Approve a submitted version; not by its author."""
    return services().list_store.transition(list_name, number, "approve", current_actor(), body["reason"])


@blp.route("/lists/<list_name>/versions/<int:number>/activate", methods=["POST"])
@requires("officer", "approver", own_agency=True)
@answers("version_not_found", "invalid_transition", "ruleset_invalid", "precondition_failed")
@conditional(_current_tag)
@blp.arguments(ReasonOnlySchema)
@blp.response(200, ListVersionSchema)
def activate_list(body: dict[str, Any], list_name: str, number: int) -> ListVersion:
    """Put an approved version in service: a new ruleset, which every active rule must compile with."""
    version = services().list_store.transition(list_name, number, "activate", current_actor(), body["reason"])
    services().rulesets.refresh()
    return version


def _document(body: dict[str, Any]) -> dict[str, Any]:
    """The list document of a request, its values taken from ``values_csv`` when that is given."""
    document = dict(body["list"])
    text = body.get("values_csv")
    if text is None:
        return document
    if "values" in document:
        raise Unprocessable("give the values once", "invalid_list", {"values_csv": ["list.values is given too"]})
    try:
        # newline="": a lone carriage return ends a line, as in files from any system.
        rows = [row for row in csv.reader(io.StringIO(text, newline="")) if row and row[0].strip()]
    except csv.Error as exc:
        raise Unprocessable("the list is not valid", "invalid_list", {"values_csv": [f"not CSV: {exc}"]}) from None
    if rows and rows[0][0].strip().lower() == "value":
        rows = rows[1:]
    values: list[Any] = [row[0].strip() for row in rows]
    if document.get("type") == "integer":
        bad = next((n for n, value in enumerate(values) if not value.lstrip("-").isdigit()), None)
        if bad is not None:
            raise Unprocessable("the list is not valid", "invalid_list", {f"values_csv[{bad}]": ["must be an integer"]})
        values = [int(value) for value in values]
    document["values"] = values
    return document
