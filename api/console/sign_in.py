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
    safe_next,
)


@bp.route("/sign-in", methods=["GET", "POST"])
def sign_in() -> Any:
    errors: dict[str, list[str]] = {}
    next_page = safe_next(request.values.get("next"))
    if request.method == "POST":
        key = request.form.get("api_key", "").strip()
        if not key:
            errors["api_key"] = ["Paste your API key."]
        else:
            try:
                # The API itself says whether the key is good, and whose it is.
                identity = ApiClient(key).get("/v1/whoami")
            except SignedOut as refused:
                errors["api_key"] = [f"The service refused this key: {refused.error.message}."]
            except ApiError as other:
                errors["api_key"] = [f"The service could not check this key: {other.message}."]
            else:
                if not set(identity["roles"]) & set(CONSOLE_ROLES):
                    errors["api_key"] = [
                        f"This key ({', '.join(identity['roles'])}) has no console role: "
                        f"the console is for {', '.join(CONSOLE_ROLES)} keys."
                    ]
                    return render_template("console/sign_in.html", errors=errors, next_page=next_page), 422
                session.clear()  # a new session on sign-in: nothing from before carries over
                session["key"] = key
                # Who is signed in, for the header and for which links to offer; access is still decided by the API.
                session["who"] = {name: identity[name] for name in ("name", "agency", "roles")}
                session["csrf"] = secrets.token_urlsafe(32)
                return redirect(next_page, 303)
    return render_template("console/sign_in.html", errors=errors, next_page=next_page), 422 if errors else 200


@bp.route("/sign-out", methods=["POST"])
def sign_out() -> Any:
    session.clear()
    flash("Signed out.", "ok")
    return redirect(url_for("console.sign_in"), 303)


@bp.route("/")
def home() -> Any:
    return redirect(url_for("console.flights"))
