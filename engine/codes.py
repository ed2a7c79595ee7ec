"""The error registry: every error ``code`` a front end answers with, its HTTP status and its meaning.

One table for the HTTP API, the command line (``targeting --json``) and the engine's own errors,
so the same fault has the same code wherever it is met. The API documents each operation's
answers from it (``api.contract``), the README's list of codes is checked against it, and
``tests/test_error_codes.py`` proves no code is used that is not here.

It lives in the engine because the engine is the one package every front end may import; a
status is part of what a code promises a client, a number, not a dependency on HTTP. A code
without a status is met on the command line only.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass


@dataclass(frozen=True)
class ErrorCode:
    """A stable code a program can switch on: the HTTP status it comes with (None: command line only)."""

    code: str
    status: int | None
    meaning: str


def _codes() -> Iterator[ErrorCode]:
    E = ErrorCode
    # 400: the body cannot be read at all
    yield E("invalid_json", 400, "The body is not JSON: malformed, not UTF-8, or NaN/Infinity (the path is '$').")
    yield E("too_deep", 400, "The JSON nests objects and arrays deeper than 200 levels.")
    yield E("number_too_long", 400, "A number in the JSON has more digits than can be read, or is beyond a double.")
    yield E("bad_request", 400, "The request cannot be read (a malformed header or query string).")
    # 401, 403
    yield E("unauthenticated", 401, "No API key, or an unknown, revoked or expired one.")
    yield E("role_forbidden", 403, "The key has none of the roles the operation needs (x-roles).")
    yield E("agency_forbidden", 403, "The target belongs to another agency than the key's.")
    yield E("self_approval", 403, "The author of a change cannot approve it; a second approver must.")
    # 404
    yield E("not_found", 404, "No such path (a path parameter of the wrong form, e.g. a version that is not a number).")
    yield E("rule_not_found", 404, "No rule with this id.")
    yield E("version_not_found", 404, "The rule or list has no version of this number.")
    yield E("list_not_found", 404, "No reference list with this name.")
    yield E("decision_not_found", 404, "No decision with this id (of the caller's agency, where that applies).")
    yield E("hit_not_found", 404, "No hit with this id that the caller may see.")
    yield E("entry_not_found", 404, "No watchlist entry with this id.")
    yield E("key_not_found", 404, "No API key with this id.")
    yield E("journey_not_found", 404, "No journey with this key (never contributed, or expired).")
    yield E("flight_not_found", 404, "No evaluated passengers on this flight and day.")
    yield E("ruleset_not_found", 404, "No ruleset of this sequence number.")
    yield E("method_not_allowed", 405, "The path does not take this method.")
    # 409
    yield E("rule_exists", 409, "A rule with this id exists: add a version instead.")
    yield E("list_exists", 409, "A list with this name exists: add a version instead.")
    yield E("entry_exists", 409, "A watchlist entry with this id exists.")
    yield E("key_exists", 409, "An API key with this id exists.")
    yield E("invalid_transition", 409, "The version or hit is not in a status this step can start from.")
    yield E("record_purged", 409, "The decision's passenger record is past retention and was purged.")
    yield E("agency_fixed", 409, "An entry's owning agency cannot change.")
    yield E("agency_mismatch", 409, "A rule or list being imported belongs to another agency in the store.")
    yield E("precondition_failed", 412, "If-Match names another version of the rule or list than the current.")
    yield E("request_too_large", 413, "The body is larger than MAX_REQUEST_BYTES.")
    yield E("unsupported_media_type", 415, "The body is not sent as JSON (Content-Type: application/json).")
    # 422: the request was read, and what it says is refused (errors name each field)
    yield E("invalid_input", 422, "The request does not fit the operation's schema: errors name each bad field.")
    yield E("invalid_passenger", 422, "A passenger record does not fit the field catalogue (docs/fields.md).")
    yield E("invalid_rule", 422, "A rule (or a pack) does not fit the rule language: errors name each problem.")
    yield E("ruleset_invalid", 422, "The active rules would not compile with this change.")
    yield E("no_review_date", 422, "A rule is activated only with valid_until, the date it is reviewed by.")
    yield E("invalid_list", 422, "A reference list is not valid.")
    yield E("invalid_entry", 422, "A watchlist entry is not valid.")
    yield E("invalid_csv", 422, "A CSV file has bad rows (errors by line and column) or is not UTF-8.")
    yield E("id_mismatch", 422, "The id in the body differs from the id in the path.")
    yield E("invalid_grant", 422, "A sharing grant names an unknown agency or kind of data.")
    yield E("invalid_roles", 422, "Unknown roles for an API key.")
    yield E("invalid_agency", 422, "An unknown agency, or a key of no agency creating an agency's rule or list.")
    yield E("invalid_cursor", 422, "The cursor is not one this list gave, for this sort and these filters.")
    yield E("invalid_window", 422, "The window is empty: until is not after since.")
    yield E("invalid_date", 422, "The date is not YYYY-MM-DD.")
    yield E("invalid_journey_key", 422, "Not a journey key (j- and 32 hex digits).")
    yield E("journey_mismatch", 422, "The contribution's flight and document do not give the journey key.")
    yield E("invalid_profile", 422, "The merged journey profile is not a valid passenger record.")
    yield E("invalid_paxlst", 422, "The PAXLST message cannot be read: errors by segment.")
    yield E("invalid_pnrgov", 422, "The PNRGOV message cannot be read: errors by segment.")
    yield E("manifest_too_large", 422, "More passengers than MAX_MANIFEST_SIZE in one request.")
    yield E("note_required", 422, "A disposition needs a note.")
    yield E("invalid_after", 422, "The passenger named by `after` is not on this worklist.")
    yield E("rate_limited", 429, "The key's RATE_LIMIT, or the address's AUTH_FAILURE_LIMIT, is used up (Retry-After).")
    yield E("internal_error", 500, "An unexpected error; it has been logged.")
    yield E("store_unavailable", 503, "The store cannot be reached: safe to retry.")
    yield E("journeys_unavailable", 503, "The journey store (Redis) cannot be reached: safe to retry.")
    yield E("flight_busy", 503, "Other messages of the same flight were being joined at the same time: safe to retry.")
    yield E("engine_failure", 503, "The rules engine failed on this request and was replaced: safe to retry.")
    # the command line only
    yield E("unreadable_file", None, "A file or directory named on the command line cannot be read.")
    yield E("invalid_setting", None, "An environment setting its variable cannot hold.")
    yield E(
        "schema_behind",
        None,
        "The database's schema is older than the release (--no-migrate): run targeting db upgrade.",
    )


REGISTRY: dict[str, ErrorCode] = {entry.code: entry for entry in _codes()}


def registered(code: str) -> ErrorCode:
    """The registry's entry for ``code``; KeyError naming it when it is not registered."""
    try:
        return REGISTRY[code]
    except KeyError:
        raise KeyError(f"error code {code!r} is not in engine/codes.py") from None


def markdown() -> str:
    """The registry as the README's table of error codes."""
    lines = ["| code | HTTP status | meaning |", "| --- | --- | --- |"]
    for entry in sorted(REGISTRY.values(), key=lambda e: (e.status or 999, e.code)):
        status = str(entry.status) if entry.status else "command line"
        lines.append(f"| `{entry.code}` | {status} | {entry.meaning} |")
    return "\n".join(lines) + "\n"
