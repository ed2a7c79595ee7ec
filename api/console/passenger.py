"""A passenger: identity first, then the hits to work (each with why and a disposition form), then what
made up the score. Reading it is audited by the API (``identity.view``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import flash, redirect, render_template, request, url_for

from api.console.client import ApiError
from api.console.listing import encoded_context, worklist_context
from api.console.pages import (
    DISPOSITIONS,
    OPEN_STATUSES,
    STATUS_LABELS,
    api_client,
    bp,
    kept_form,
    quoted,
    refused,
    who,
)

#: A disposition form as typed: why it was refused (if it was), and its values.
Kept = tuple[ApiError | None, dict[str, str]]


def _next_statuses(current: str) -> list[str]:
    """What the officer may move a hit to (the API enforces the same)."""
    if current not in OPEN_STATUSES:
        return []
    return (["in_review"] if current == "new" else []) + list(DISPOSITIONS)


def _worklist_of(person: dict[str, Any]) -> dict[str, str]:
    """The worklist a passenger is on when the page was not opened from one: their flight on their arrival day."""
    local = person.get("scheduled_arrival_local")
    filters = {"flight": person.get("flight") or ""}
    if local:
        filters["date"] = str(local)[:10]
    return {name: value for name, value in filters.items() if value}


@bp.route("/passengers/<decision_id>")
def passenger(decision_id: str) -> Any:
    return _page(decision_id, request.args.get("list"))


def _page(decision_id: str, raw_context: str | None, typed: Mapping[str, Kept] | None = None) -> Any:
    person = api_client().get(f"/v1/passengers/{quoted(decision_id)}")
    context = worklist_context(raw_context) or _worklist_of(person)
    if person["superseded_by"]:
        flash("The passenger was evaluated again since: this is their newest decision.", "ok")
        newer = url_for("console.passenger", decision_id=person["superseded_by"], list=encoded_context(context))
        return redirect(newer, 303)
    forms = {hit["id"]: kept_form(f"disposition-{hit['id']}") for hit in person["hits"]}
    forms.update(typed or {})
    status = max((error.status for error, _ in forms.values() if error is not None), default=200)
    return (
        render_template(
            "console/passenger.html",
            person=person,
            context=encoded_context(context),
            worklist_link=url_for("console.worklist", **context),
            forms=forms,
            next_statuses=_next_statuses,
            own_agency=who().get("agency"),
        ),
        status,
    )


@bp.route("/passengers/<decision_id>/hits/<hit_id>/disposition", methods=["POST"])
def disposition(decision_id: str, hit_id: str) -> Any:
    body = {"status": request.form.get("status", ""), "note": request.form.get("note", "")}
    context = request.form.get("list", "")
    page = url_for("console.passenger", decision_id=decision_id, list=context or None)
    try:
        updated = api_client().post(f"/v1/hits/{quoted(hit_id)}/disposition", body)
    except ApiError as error:
        # Shown again on the passenger's page; answered here only if the note is too long to keep for it.
        return refused(f"disposition-{hit_id}", error, body, f"{page}#hit-{hit_id}") or _page(
            decision_id, context, {hit_id: (error, body)}
        )
    flash(f"Hit on {updated['rule_id']} recorded as {STATUS_LABELS.get(updated['status'], updated['status'])}.", "ok")
    return redirect(f"{page}#hit-{hit_id}", 303)
