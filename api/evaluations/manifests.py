"""``/v1/manifests/paxlst`` and ``/v1/manifests/pnrgov``: screen a flight from the UN/EDIFACT PAXLST or
PNRGOV message the airline sent, each traveller joined with the flight's other message (``api.sources``)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from flask import request
from flask_smorest import Blueprint

from api.common import Unprocessable
from api.container import services
from api.contract import answers
from api.evaluations.schemas import PaxlstResponseSchema, PnrgovResponseSchema
from api.http.auth import current_actor, requires
from api.http.fields import SubmittedPassenger
from api.sources.joining import Message, receive
from engine import check_record
from messages.journey import API, PNR
from messages.paxlst import PaxlstError, read_paxlst
from messages.pnrgov import PnrgovError, read_pnrgov

blp = Blueprint("manifests", __name__, url_prefix="/v1", description="Airline messages (PAXLST, PNRGOV)")
EDIFACT_BODY = {
    "required": True,
    "content": {
        "application/edifact": {"schema": {"type": "string"}},
        "text/plain": {"schema": {"type": "string"}},
    },
}


@blp.route("/manifests/paxlst", methods=["POST"])
@requires("system")
@answers("invalid_paxlst", "manifest_too_large", "engine_failure", "flight_busy")
@blp.response(200, PaxlstResponseSchema)
@blp.doc(requestBody=EDIFACT_BODY)
def screen_paxlst() -> dict[str, Any]:
    """Evaluate every person in a PAXLST message (the raw message is the request body).

    Each is joined with the flight's PNR when it has come (one journey per traveller: ``journey.*``
    fields, and which message gave each field on the decision). Only the journeys the message changed
    are evaluated (``results``); the message's travellers whose journey it did not change are listed
    in ``unchanged`` with their last decision, so a message sent again evaluates no one.
    """
    text = request.get_data(cache=False)  # the reader takes bytes and detects the encoding
    try:
        result = read_paxlst(text)
    except PaxlstError as exc:
        raise _unreadable("PAXLST", "invalid_paxlst", exc.problems) from None
    crew_list = result.message_type == "crew"
    return {**_evaluated(API, result.manifest, result.problems, crew_list), "message_type": result.message_type}


@blp.route("/manifests/pnrgov", methods=["POST"])
@requires("system")
@answers("invalid_pnrgov", "manifest_too_large", "engine_failure", "flight_busy")
@blp.response(200, PnrgovResponseSchema)
@blp.doc(requestBody=EDIFACT_BODY)
def screen_pnrgov() -> dict[str, Any]:
    """Evaluate every traveller of every PNR in a PNRGOV message (the raw message is the request body),
    each joined with the flight's API when it has come, once per change (as ``/v1/manifests/paxlst``).

    E-mail addresses, telephone and card numbers are kept only as hashes under the service's
    identity key (``contact.*_hash``, ``booking.card_hash``).
    """
    text = request.get_data(cache=False)  # the reader takes bytes and detects the encoding
    try:
        result = read_pnrgov(text, hash_key=services().identity_key)
    except PnrgovError as exc:
        raise _unreadable("PNRGOV", "invalid_pnrgov", exc.problems) from None
    answer = _evaluated(PNR, result.manifest, result.problems)
    return {**answer, "version": result.version, "bookings": len(result.pnrs)}


def _unreadable(kind: str, code: str, problems: Iterable[Any]) -> Unprocessable:
    """The 422 of a message that cannot be read: each problem by the segment it is in."""
    errors: dict[str, list[str]] = {}
    for problem in problems:
        errors.setdefault(f"segment {problem.segment_number}", []).append(f"{problem.code}: {problem.message}")
    return Unprocessable(f"the {kind} message cannot be read", code, errors)


def _evaluated(
    source: str, manifest: Sequence[dict[str, Any]], problems: Iterable[Any], crew_list: bool = False
) -> dict[str, Any]:
    """The records a reader emitted joined with their flights' other message and the journeys they changed
    evaluated (``api.sources.joining``), with the reader's problems (never their segment text)."""
    limit = services().settings.max_manifest_size
    if len(manifest) > limit:
        raise Unprocessable(f"at most {limit} passengers per request", "manifest_too_large")
    # The readers only emit records that pass the catalogue check.
    passengers = [SubmittedPassenger(raw, check_record(raw)) for raw in manifest]
    message = Message(source, passengers, crew_list)
    with services().rulesets.use() as loaded:
        response, _ = receive(services(), loaded, current_actor(), message, services().flight_sources.commit)
    return {**response, "problems": [problem.as_dict() for problem in problems]}
