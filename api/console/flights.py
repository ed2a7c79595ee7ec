"""Flights by New Zealand arrival (``/v1/arrivals``) and a flight's priority list, filtered and paged."""

from __future__ import annotations

import re
from typing import Any

from flask import redirect, render_template, request, url_for

from api.console.client import ApiError
from api.console.listing import PRIORITY_FILTERS, Listing, days_around, field_errors
from api.console.pages import FLIGHT_NUMBER, api_client, bp, quoted


@bp.route("/flights")
def flights() -> Any:
    day = request.args.get("date", "").strip()
    flight = re.sub(r"\s+", "", request.args.get("flight", "")).upper()
    errors: dict[str, list[str]] = {}
    arriving: dict[str, Any] | None = None
    try:
        arriving = api_client().get("/v1/arrivals", date=day)
    except ApiError as error:
        if error.status != 422:
            raise
        errors.update(field_errors(error))
    listed = arriving["flights"] if arriving else []
    day = arriving["date"] if arriving else day
    if flight:
        found = next((item for item in listed if item["flight"] == flight), None)
        if found is not None:
            return redirect(url_for("console.priority", flight=flight, day=found["departure_date"]))
        errors["flight"] = (
            [f"No flight {flight} arrives on {day}: pick it from the list, or another day."]
            if FLIGHT_NUMBER.match(flight)
            else ["A flight is carrier and number, e.g. NZ5."]
        )
    previous_day, next_day = days_around(day)
    return (
        render_template(
            "console/flights.html",
            day=day,
            flight=flight,
            listed=listed,
            errors=errors,
            previous_day=previous_day,
            next_day=next_day,
        ),
        422 if errors else 200,
    )


@bp.route("/flights/<flight>/<day>")
def priority(flight: str, day: str) -> Any:
    listing = Listing.from_request(PRIORITY_FILTERS)
    client = api_client()
    errors: dict[str, list[str]] = {}
    try:
        page = client.get(f"/v1/flights/{quoted(flight)}/{quoted(day)}/priority", **listing.api_query())
    except ApiError as error:
        if error.status != 422 or error.at("day"):
            raise
        errors = field_errors(error)
        page = {"flight": flight.upper(), "date": day, "passengers": None, "bands": {}, "total": 0}
        page.update(ranked=[], next_cursor=None)
    rows = page["ranked"]
    return (
        render_template(
            "console/priority.html",
            listing=listing,
            filters=listing.filters,
            page=page,
            rows=rows,
            errors=errors,
            links=listing.pages("console.priority", len(rows), page["next_cursor"], flight=flight, day=day),
        ),
        422 if errors else 200,
    )


@bp.route("/flights/<flight>/<day>/passengers/<decision_id>")
def flight_passenger(flight: str, day: str, decision_id: str) -> Any:
    """Where a passenger's page was before it moved to ``/passengers/<decision_id>``: links keep working."""
    return redirect(url_for("console.passenger", decision_id=decision_id), 301)
