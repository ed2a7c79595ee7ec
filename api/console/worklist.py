"""The officer's worklist (``/v1/worklist``), the next passenger after one worked, and the open-hits queue."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for

from api.console.client import ApiError
from api.console.listing import (
    WORKLIST_FILTERS,
    Listing,
    days_around,
    encoded_context,
    field_errors,
    worklist_context,
)
from api.console.pages import api_client, bp, quoted

QUEUE_PAGE = 50


@bp.route("/worklist")
def worklist() -> Any:
    listing = Listing.from_request(WORKLIST_FILTERS)
    errors: dict[str, list[str]] = {}
    page: dict[str, Any] | None = None
    try:
        page = api_client().get("/v1/worklist", **listing.api_query())
    except ApiError as error:
        if error.status != 422:
            raise
        errors = field_errors(error)
    day = page["date"] if page else listing.filters["date"]
    previous_day, next_day = days_around(day)
    context = encoded_context({**listing.filters, "date": day})
    rows = page["rows"] if page else []
    return (
        render_template(
            "console/worklist.html",
            listing=listing,
            filters=listing.filters,
            page=page,
            rows=rows,
            day=day,
            previous_day=previous_day,
            next_day=next_day,
            context=context,
            errors=errors,
            links=listing.pages("console.worklist", len(rows), page["next_cursor"] if page else None),
        ),
        422 if errors else 200,
    )


@bp.route("/passengers/<decision_id>/next")
def next_passenger(decision_id: str) -> Any:
    """The next open row after this passenger on the worklist they were opened from."""
    filters = worklist_context(request.args.get("list"))
    query = {**filters, "status": "open", "after": decision_id, "limit": 1}
    back_to_list = url_for("console.worklist", **filters)
    try:
        page = api_client().get("/v1/worklist", **query)
    except ApiError as error:
        if error.status != 422:
            raise
        flash("This passenger is not on that worklist any more: here is the list.", "error")
        return redirect(back_to_list, 303)
    if not page["rows"]:
        flash("No more open passengers after this one on the worklist.", "ok")
        return redirect(back_to_list, 303)
    following = page["rows"][0]["decision_id"]
    return redirect(url_for("console.passenger", decision_id=following, list=encoded_context(filters)), 303)


@bp.route("/queue")
def queue() -> Any:
    """Open hits (new or in review) of the agency across every flight and day, newest first."""
    try:
        offset = max(0, int(request.args.get("offset", 0)))
    except ValueError:
        offset = 0
    # One more than a page: whether there is a next page, without a count the API does not give.
    hits = api_client().get("/v1/hits", status="open", limit=QUEUE_PAGE + 1, offset=offset)["hits"]
    more = len(hits) > QUEUE_PAGE
    return render_template(
        "console/queue.html",
        hits=hits[:QUEUE_PAGE],
        offset=offset,
        newer=url_for("console.queue", offset=max(0, offset - QUEUE_PAGE)) if offset else None,
        older=url_for("console.queue", offset=offset + QUEUE_PAGE) if more else None,
        quoted=quoted,
    )
