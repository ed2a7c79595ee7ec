"""Flights, the priority list, a passenger's hits and their dispositions."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Mapping
from typing import Any

from flask import (
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)

from api.console.client import ApiClient, ApiError
from api.console.pages import (
    DISPOSITIONS,
    FLIGHT_NUMBER,
    HIT_PAGE_SIZE,
    HIT_PAGES,
    OPEN_STATUSES,
    STATUS_LABELS,
    api_client,
    bp,
    quoted,
)


@bp.route("/flights")
def flights() -> Any:
    day = request.args.get("date", "").strip() or dt.datetime.now(dt.UTC).date().isoformat()
    flight = re.sub(r"\s+", "", request.args.get("flight", "")).upper()
    errors: dict[str, list[str]] = {}
    if flight:
        if FLIGHT_NUMBER.match(flight):
            return redirect(url_for("console.priority", flight=flight, day=day))
        errors["flight"] = ["A flight is carrier and number, e.g. NZ5."]
    listed: list[dict[str, Any]] = []
    try:
        listed = api_client().get("/v1/flights", date=day)["flights"]
    except ApiError as error:
        errors.update(error.errors or {"date": [error.message]})
    return render_template("console/flights.html", day=day, flight=flight, listed=listed, errors=errors)


def _flight_hits(client: ApiClient, flight: str, day: str) -> list[dict[str, Any]]:
    hits: list[dict[str, Any]] = []
    for page in range(HIT_PAGES):
        batch = client.get("/v1/hits", flight=flight, date=day, limit=HIT_PAGE_SIZE, offset=page * HIT_PAGE_SIZE)
        hits.extend(batch["hits"])
        if len(batch["hits"]) < HIT_PAGE_SIZE:
            break
    return hits


def _passenger_key(hit_or_row: Mapping[str, Any]) -> str:
    # A resubmitted passenger keeps their hits from the first decision; the system's passenger id ties them.
    ref = hit_or_row.get("passenger_id", hit_or_row.get("passenger_ref"))
    return f"ref:{ref}" if ref else f"decision:{hit_or_row['decision_id']}"


@bp.route("/flights/<flight>/<day>")
def priority(flight: str, day: str) -> Any:
    client = api_client()
    band = request.args.get("band", "")
    listing = client.get(f"/v1/flights/{quoted(flight)}/{quoted(day)}/priority")
    open_hits: Counter[str] = Counter()
    worked: Counter[str] = Counter()
    try:
        for hit in _flight_hits(client, flight, day):
            (open_hits if hit["status"] in OPEN_STATUSES else worked)[_passenger_key(hit)] += 1
    except ApiError:
        pass  # a key that may read the list but not hits still gets the list
    rows = [row for row in listing["ranked"] if not band or row["band"] == band]
    bands = Counter(row["band"] for row in listing["ranked"])
    return render_template(
        "console/priority.html",
        listing=listing,
        rows=rows,
        band=band,
        bands=bands,
        open_hits=open_hits,
        worked=worked,
        passenger_key=_passenger_key,
    )


def _titles(client: ApiClient, hits: list[dict[str, Any]], row: Mapping[str, Any]) -> dict[tuple[str, int], str]:
    titles = {(r["rule_id"], r["version"]): r.get("title", "") for r in row.get("top_reasons", [])}
    for hit in hits:
        wanted = (hit["rule_id"], hit["rule_version"])
        if wanted in titles or hit["rule_version"] is None:
            continue
        try:
            titles[wanted] = client.get(f"/v1/rules/{quoted(wanted[0])}/versions/{quoted(wanted[1])}")["content"].get(
                "title", ""
            )
        except ApiError:
            titles[wanted] = ""  # another agency's rule: its hit is shared, its text need not be
    return titles


def _render_passenger(
    flight: str,
    day: str,
    decision_id: str,
    form_errors: Mapping[str, ApiError] | None = None,
    form_values: Mapping[str, Mapping[str, str]] | None = None,
    status: int = 200,
) -> Any:
    client = api_client()
    listing = client.get(f"/v1/flights/{quoted(flight)}/{quoted(day)}/priority")
    row = next((r for r in listing["ranked"] if r["decision_id"] == decision_id), None)
    if row is None:
        abort(404, "This passenger is not on the flight's current list (a newer evaluation may have replaced it).")
    key = _passenger_key(row)
    hits_error: ApiError | None = None
    hits: list[dict[str, Any]] = []
    try:
        hits = [
            hit
            for hit in _flight_hits(client, flight, day)
            if _passenger_key(hit) == key or hit["decision_id"] == row["decision_id"]
        ]
    except ApiError as error:
        hits_error = error
    hits.sort(key=lambda hit: (hit["status"] not in OPEN_STATUSES, -hit.get("weight", 0), hit["rule_id"]))
    return (
        render_template(
            "console/passenger.html",
            listing=listing,
            row=row,
            hits=hits,
            hits_error=hits_error,
            titles=_titles(client, hits, row),
            next_statuses=_next_statuses,
            form_errors=form_errors or {},
            form_values=form_values or {},
        ),
        status,
    )


def _next_statuses(current: str) -> list[str]:
    """What the officer may move a hit to (the API enforces the same)."""
    if current not in OPEN_STATUSES:
        return []
    return (["in_review"] if current == "new" else []) + list(DISPOSITIONS)


@bp.route("/flights/<flight>/<day>/passengers/<decision_id>")
def passenger(flight: str, day: str, decision_id: str) -> Any:
    return _render_passenger(flight, day, decision_id)


@bp.route("/flights/<flight>/<day>/passengers/<decision_id>/hits/<hit_id>/disposition", methods=["POST"])
def disposition(flight: str, day: str, decision_id: str, hit_id: str) -> Any:
    body = {"status": request.form.get("status", ""), "note": request.form.get("note", "")}
    try:
        updated = api_client().post(f"/v1/hits/{quoted(hit_id)}/disposition", body)
    except ApiError as error:
        return _render_passenger(flight, day, decision_id, {hit_id: error}, {hit_id: body}, error.status)
    flash(f"Hit on {updated['rule_id']} recorded as {STATUS_LABELS.get(updated['status'], updated['status'])}.", "ok")
    target = url_for("console.passenger", flight=flight, day=day, decision_id=decision_id)
    return redirect(f"{target}#hit-{hit_id}", 303)
