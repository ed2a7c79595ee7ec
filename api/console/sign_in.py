"""Signing in with an API key (checked by ``/v1/whoami``) and out."""

from __future__ import annotations

import secrets
from typing import Any

from flask import (
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)

from api.console.client import ApiClient, ApiError, SignedOut
from api.console.pages import (
    CONSOLE_ROLES,
    bp,
    home_for,
    kept_form,
    refused,
    safe_next,
    status_of,
    who,
)


@bp.route("/sign-in", methods=["GET", "POST"])
def sign_in() -> Any:
    next_page = safe_next(request.values.get("next"))
    if request.method == "GET":
        error, _ = kept_form("sign-in")
        return render_template("console/sign_in.html", error=error, next_page=next_page), status_of(error)
    key = request.form.get("api_key", "").strip()
    if not key:
        return _refused("Paste your API key.", next_page)
    try:
        # The API itself says whether the key is good, and whose it is.
        identity = ApiClient(key).get("/v1/whoami")
    except SignedOut as refusal:
        return _refused(f"The service refused this key: {refusal.error.message}.", next_page)
    except ApiError as other:
        return _refused(f"The service could not check this key: {other.message}.", next_page)
    if not set(identity["roles"]) & set(CONSOLE_ROLES):
        return _refused(
            f"This key ({', '.join(identity['roles'])}) has no console role: "
            f"the console is for {', '.join(CONSOLE_ROLES)} keys.",
            next_page,
        )
    # A new session on sign-in: nothing from before carries over but the forms this person typed
    # before their key expired (or before the session was lost: no owner then).
    forms = {
        form_id: kept
        for form_id, kept in (session.get("forms") or {}).items()
        if kept.get("owner") in (None, identity["name"])
    }
    session.clear()
    if forms:
        session["forms"] = forms
    session["key"] = key
    # Who is signed in, for the header and for which links to offer; access is still decided by the API.
    session["who"] = {name: identity[name] for name in ("name", "agency", "roles")}
    session["csrf"] = secrets.token_urlsafe(32)
    return redirect(next_page or home_for(identity["roles"]), 303)


def _refused(message: str, next_page: str | None) -> Any:
    # The key itself is never kept or shown again.
    error = ApiError(422, "sign_in_refused", message, {"api_key": [message]})
    target = url_for("console.sign_in", next=next_page)
    return refused("sign-in", error, {}, target) or (
        render_template("console/sign_in.html", error=error, next_page=next_page),
        422,
    )


@bp.route("/sign-out", methods=["POST"])
def sign_out() -> Any:
    session.clear()
    flash("Signed out.", "ok")
    return redirect(url_for("console.sign_in"), 303)


@bp.route("/")
def home() -> Any:
    return redirect(home_for(who().get("roles", [])))
