"""``/v1/watchlist``: the joint non-compliant list, each entry owned and kept by one agency."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import Any

from flask import request
from flask_smorest import Blueprint

from api.common import Unprocessable
from api.container import services
from api.contract import answers
from api.http.auth import current_actor, requires
from api.http.paging import next_page
from api.watchlist.interface import entry_from_body, entry_view
from api.watchlist.schemas import (
    WatchlistEntryInputSchema,
    WatchlistEntrySchema,
    WatchlistImportQuerySchema,
    WatchlistImportSchema,
    WatchlistPageSchema,
    WatchlistQuerySchema,
    WatchlistStatusSchema,
)
from screening import WatchlistEntry, parse_csv

blp = Blueprint("watchlist", __name__, url_prefix="/v1", description="The joint non-compliant list (watchlist)")

#: Entries are personal data (names, dates of birth, documents): the officers who keep their
#: agency's entries, and auditors, read them; no other role needs to. The status carries none.
KEEPERS = ("officer",)
READERS = ("officer", "auditor")
MAX_IMPORT_ERRORS_SHOWN = 1000


@blp.route("/watchlist", methods=["GET"])
@requires(*READERS)
@blp.arguments(WatchlistQuerySchema, location="query")
@blp.response(200, WatchlistPageSchema)
def list_entries(query: dict[str, Any]) -> dict[str, Any]:
    """The caller's agency's entries (auditors: every agency's, or the one asked for), by id."""
    actor = current_actor()
    agency = query.get("agency") if "auditor" in actor.roles else actor.agency
    total, entries = services().watchlist_store.entries(agency, query["limit"], query["offset"])
    if query["offset"] + len(entries) < total:
        next_page(offset=query["offset"] + len(entries))
    return {"total": total, "entries": [entry_view(entry) for entry in entries]}


@blp.route("/watchlist/status", methods=["GET"])
@requires("officer", "approver", "auditor", "system", "admin")
@blp.response(200, WatchlistStatusSchema)
def status() -> dict[str, Any]:
    """The list version this process screens with (it is in every decision that used it): no entry, so any key."""
    manager = services().watchlists
    current = manager.current
    return {
        "version": current.version,
        "entries": len(current),
        "revision": manager.revision,
        "min_score": current.settings.min_score,
    }


@blp.route("/watchlist", methods=["POST"])
@requires(*KEEPERS)
@answers("invalid_entry", "entry_exists", "agency_forbidden")
@blp.arguments(WatchlistEntryInputSchema)
@blp.response(201, WatchlistEntrySchema)
def create_entry(body: dict[str, Any]) -> dict[str, Any]:
    """Add an entry owned by the caller's agency; it screens passengers once every process has rebuilt its index."""
    actor = current_actor()
    entry = entry_from_body({**body, "agency": body.get("agency", actor.agency)})
    return entry_view(services().watchlist_store.create(entry, actor))


@blp.route("/watchlist/<entry_id>", methods=["GET"])
@requires(*READERS, own_agency=True, auditors_cross_agency=True)
@blp.response(200, WatchlistEntrySchema)
def get_entry(entry_id: str) -> dict[str, Any]:
    """One entry of the caller's agency."""
    return entry_view(services().watchlist_store.entry(entry_id))


@blp.route("/watchlist/<entry_id>", methods=["PUT"])
@requires(*KEEPERS, own_agency=True)
@answers("id_mismatch", "invalid_entry", "agency_fixed")
@blp.arguments(WatchlistEntryInputSchema)
@blp.response(200, WatchlistEntrySchema)
def replace_entry(body: dict[str, Any], entry_id: str) -> dict[str, Any]:
    """Replace an entry of the caller's agency (the id in the body must be the one in the path)."""
    if body["id"] != entry_id:
        raise Unprocessable("the id in the body differs from the path", "id_mismatch", {"id": ["must be " + entry_id]})
    actor = current_actor()
    entry = entry_from_body({**body, "agency": body.get("agency", actor.agency)})
    return entry_view(services().watchlist_store.replace(entry, actor))


@blp.route("/watchlist/<entry_id>", methods=["DELETE"])
@requires(*KEEPERS, own_agency=True)
@blp.response(204)
def delete_entry(entry_id: str) -> None:
    """Remove an entry of the caller's agency."""
    services().watchlist_store.remove(entry_id, current_actor())


@blp.route("/watchlist/import", methods=["POST"])
@requires(*KEEPERS)
@answers("invalid_csv")
@blp.arguments(WatchlistImportQuerySchema, location="query")
@blp.response(200, WatchlistImportSchema)
@blp.doc(requestBody={"required": True, "content": {"text/csv": {"schema": {"type": "string"}}}})
def import_csv(query: dict[str, Any]) -> dict[str, Any]:
    """Import a CSV (``text/csv`` body) of the caller's agency's entries: new ids added, known ids updated.

    A file with any bad row imports nothing and lists every problem by line and column,
    unless ``skip_bad_rows=true``: then the good rows are imported and the bad ones reported.
    A row of another agency, or with an id another agency keeps, is a bad row like any other.
    """
    actor = current_actor()
    try:
        text = request.get_data(cache=False).decode("utf-8")
    except UnicodeDecodeError:
        raise Unprocessable("the CSV must be UTF-8 text", "invalid_csv", {"body": ["not UTF-8"]}) from None
    entries, problems = parse_csv(text, check=_owned_by(actor.agency, {}))
    owners = services().watchlist_store.owners([entry.id for entry in entries])
    if any(owner != actor.agency for owner in owners.values()):
        # Rare: an id another agency keeps. Read again, to report those rows by line too.
        entries, problems = parse_csv(text, check=_owned_by(actor.agency, owners))
    errors = [{"line": p.line, "field": p.field, "message": p.message} for p in problems]
    if errors and not query["skip_bad_rows"]:
        raise Unprocessable(
            f"{len(errors)} {'problem' if len(errors) == 1 else 'problems'} in the file; nothing was imported "
            "(skip_bad_rows=true imports the good rows)",
            "invalid_csv",
            _by_line(problems[:MAX_IMPORT_ERRORS_SHOWN]),
        )
    bad_lines = len({p.line for p in problems})
    summary = services().watchlist_store.import_entries(entries, actor, "api import", skipped_rows=bad_lines)
    return {
        **dataclasses.asdict(summary),
        "errors": errors[:MAX_IMPORT_ERRORS_SHOWN],
        "watchlist_revision": services().watchlist_store.revision(),
    }


def _owned_by(agency: str, owners: Mapping[str, str]) -> Callable[[WatchlistEntry], list[tuple[str, str]]]:
    """The import's test of each row: an entry of ``agency``, not an id another agency keeps."""

    def check(entry: WatchlistEntry) -> list[tuple[str, str]]:
        if entry.agency != agency:
            return [("agency", f"the row is {entry.agency}'s; this key imports {agency}'s entries")]
        owner = owners.get(entry.id, agency)
        if owner != agency:
            return [("id", f"entry {entry.id} is {owner}'s; an import cannot move it")]
        return []

    return check


def _by_line(problems: list[Any]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for problem in problems:
        key = f"lines[{problem.line}]" + (f".{problem.field}" if problem.field else "")
        found.setdefault(key, []).append(problem.message)
    return found
