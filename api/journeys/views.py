"""``/v1/journeys``: each agency contributes its part of a passenger's journey; one profile, evaluated once."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint

from api.common import Unprocessable
from api.container import services
from api.contract import answers
from api.http.auth import current_actor, requires
from api.journeys.profiles import contribute, view
from api.journeys.schemas import ContributionSchema, JourneySchema

blp = Blueprint("journeys", __name__, url_prefix="/v1", description="Combined passenger profiles")


@blp.route("/journeys/<journey_key>/contributions/<agency>", methods=["PUT"])
@requires("system", own_agency=True)
@answers(
    "invalid_journey_key",
    "invalid_passenger",
    "journey_mismatch",
    "invalid_profile",
    "journeys_unavailable",
    "engine_failure",
)
@blp.arguments(ContributionSchema)
@blp.response(200, JourneySchema)
def put_contribution(body: dict[str, Any], journey_key: str, agency: str) -> dict[str, Any]:
    """Store the caller's agency's part of the journey; the merged profile is evaluated again if it changed.

    The key is ``j-`` and the first 32 hex digits of SHA-256 over
    ``FLIGHT|YYYY-MM-DD|ISSUING_COUNTRY|DOCUMENT_NUMBER`` in upper case (flight as ``NZ5``,
    the UTC date of scheduled departure); the part must carry those fields.
    """
    actor = current_actor()
    if not journey_key.startswith("j-") or len(journey_key) != 34:
        raise Unprocessable("not a journey key", "invalid_journey_key", {"journey_key": ["j- and 32 hex digits"]})
    with services().rulesets.use() as loaded:
        return contribute(services(), loaded, journey_key, agency, body["passenger"], actor)


@blp.route("/journeys/<journey_key>", methods=["GET"])
@requires("system", "officer", "approver", "auditor")
@answers("invalid_journey_key", "journey_not_found", "journeys_unavailable")
@blp.response(200, JourneySchema)
def get_journey(journey_key: str) -> dict[str, Any]:
    """The combined profile: the fields and matches the sharing policy lets the caller's agency see."""
    return view(services(), journey_key, services().journeys.get(journey_key), current_actor())
