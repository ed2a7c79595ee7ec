"""Recording that passengers' identities were shown: every endpoint that names passengers calls this
before it answers, so an answer that could not be audited is not sent."""

from __future__ import annotations

from flask import request

from api.container import services
from api.http.auth import current_actor


def record_identities_shown(decision_ids: list[str]) -> None:
    """Audit that the caller is being shown these decisions' passengers' identities on this endpoint."""
    if decision_ids:  # an answer showing nobody's identity has nothing to record
        endpoint = f"{request.method} {request.url_rule.rule if request.url_rule else request.path}"
        services().decision_store.record_identity_view(current_actor(), endpoint, decision_ids)
