"""The worklist's rows: a passenger arriving on a New Zealand day, with the caller's agency's hits.

The source is the newest retained decision per passenger journey whose record's
``flight.scheduled_arrival`` falls on the day in Pacific/Auckland (``DecisionStore.arrivals``, which
finds the day's flights by the indexed arrival time and reads their decisions only). Every passenger
of the day is a light ``Candidate`` (its score, its hits' states and, when the query needs them, the
identity fields it is sorted or filtered on); only the page's rows read their whole decision and
hits. Relative risk (``engine.risk``) ranks every passenger arriving that day, as a priority list
ranks a flight's. What a row shows of other agencies' matches, and of the record itself, is the
sharing policy's to say (``SharingPolicy``).
"""

from __future__ import annotations

import datetime as dt
import functools
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from anyascii import anyascii

from api.common import Actor
from api.evaluations.interface import Arrival, DecisionRecord, record_value, scheduled_arrival
from api.hits.interface import Hit, HitState, Journey
from api.sharing.policy import SharingPolicy
from engine.risk import RelativeRisk, relative_risk


@functools.cache
def nz() -> ZoneInfo:
    """New Zealand's time zone, from the system's zone database (read on first use, so a host without
    one fails only here, not at start)."""
    return ZoneInfo("Pacific/Auckland")


def today() -> dt.date:
    """Today in New Zealand."""
    return dt.datetime.now(nz()).date()


def day_window(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The New Zealand day ``day``, midnight to midnight there, as UTC instants (a day of 23 or 25 hours
    when daylight saving starts or ends)."""
    start = dt.datetime.combine(day, dt.time(), nz())
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), nz())
    return start.astimezone(dt.UTC), end.astimezone(dt.UTC)


@dataclass(frozen=True)
class Document:
    number: str | None
    issuing_country: str | None


@dataclass(frozen=True)
class Identity:
    """Who the passenger is, as the record gives it (None for what it does not give)."""

    family_name: str | None
    given_names: str | None
    date_of_birth: str | None
    nationality: str | None
    document: Document
    booking_reference: str | None
    seat: str | None


FAMILY_NAME, GIVEN_NAMES, NATIONALITY, DOCUMENT_NUMBER = (
    "traveller.family_name",
    "traveller.given_names",
    "traveller.nationality",
    "document.number",
)


def identity_of(record: Mapping[str, Any]) -> Identity:
    def text(name: str) -> str | None:
        return _text(record_value(record, name))

    return Identity(
        text(FAMILY_NAME),
        text(GIVEN_NAMES),
        text("traveller.date_of_birth"),
        text(NATIONALITY),
        Document(text(DOCUMENT_NUMBER), text("document.issuing_country")),
        text("booking.reference"),
        text("flight.seat"),
    )


def found_by_search(fields: Mapping[str, str | None], folded_query: str, document_query: str) -> bool:
    """Whether a search (folded as ``fold`` and ``fold_document`` fold it) finds the passenger whose
    record's names and document number are ``fields``."""
    family, given = fold(fields.get(FAMILY_NAME) or ""), fold(fields.get(GIVEN_NAMES) or "")
    names = (family, given, f"{given} {family}", f"{family} {given}")
    if folded_query and any(folded_query in name for name in names):
        return True
    return bool(document_query) and document_query in fold_document(fields.get(DOCUMENT_NUMBER) or "")


def fold(text: str) -> str:
    """Text as a name search compares it: ASCII (accents folded), case folded, single spaces."""
    return " ".join(anyascii(text).casefold().split())


def fold_document(text: str) -> str:
    """A document number as a search compares it: letters and digits only, upper case."""
    return "".join(ch for ch in text.upper() if ch.isalnum())


class Candidate(NamedTuple):
    """A passenger arriving on the day, with what filters and sorting need (rows are built for a page only;
    a named tuple: a day has thousands)."""

    arrival: Arrival
    risk: RelativeRisk
    #: the record's identity fields the query sorts or filters on, by name (``paging.needed_fields``);
    #: None: the caller may not see the passenger's identity (``may_identify``), or no field is needed
    fields: Mapping[str, str | None] | None
    #: the states of the hits the caller's agency works (an auditor: every agency's), oldest first
    work: Sequence[HitState]
    #: every hit on the journey the caller may see
    states: Sequence[HitState]

    @property
    def open(self) -> bool:
        return any(hit.open for hit in self.work)


def candidates(
    actor: Actor,
    policy: SharingPolicy,
    arrivals: Sequence[Arrival],
    states: Mapping[Journey, Sequence[HitState]],
    fields: Sequence[str],
) -> tuple[list[Candidate], int]:
    """The passengers arriving (``arrivals``) the caller's agency has hits on, and how many arrive in all.

    ``states`` are those of the hits of agencies whose matches the caller sees (``visible_agencies``);
    ``fields`` are the record fields whose values the arrivals hold.
    """
    # Relative to everyone arriving that day, whichever agency's work they are.
    risks = relative_risk([arrival.score for arrival in arrivals])
    shown: dict[str, bool] = {}  # by the agency that sent the record
    own, everyone = actor.agency, "auditor" in actor.roles  # ``works``, decided once for the day
    found = []
    for arrival, risk in zip(arrivals, risks, strict=True):
        journey_states = states.get(arrival.journey)
        if not journey_states:
            continue
        work = journey_states if everyone else [state for state in journey_states if state.agency == own]
        if not work:
            continue
        if arrival.agency not in shown:  # each is the caller's agency's work: ``works_on_it``
            shown[arrival.agency] = may_identify(actor, policy, arrival.agency, works_on_it=True)
        known = dict(zip(fields, arrival.values, strict=True)) if fields and shown[arrival.agency] else None
        found.append(Candidate(arrival, risk, known, work, journey_states))
    return found, len(arrivals)


#: The identity fields a flight's candidates hold (a flight is small: every one a filter or sort can need).
IDENTITY_FIELDS = (FAMILY_NAME, GIVEN_NAMES, NATIONALITY, DOCUMENT_NUMBER)


def flight_candidates(
    actor: Actor, policy: SharingPolicy, decisions: Sequence[DecisionRecord], hits: Mapping[Journey, Sequence[Hit]]
) -> list[Candidate]:
    """Every passenger on one flight (``flight_decisions``, whole), ranked relative to the flight as its
    priority list ranks them, whether or not the caller's agency has hits on them.

    A record that gives no scheduled arrival is placed at the start of its departure day (UTC), which
    sorts it with its flight: the arrival sort has nothing better to go on.
    """
    risks = relative_risk([decision.score for decision in decisions])
    found = []
    for decision, risk in zip(decisions, risks, strict=True):
        assert decision.flight is not None and decision.flight_date is not None  # flight_decisions' own
        arrival_at = arrival_of(decision) or dt.datetime.combine(decision.flight_date, dt.time(), dt.UTC)
        values = tuple(_text(record_value(decision.record, name)) for name in IDENTITY_FIELDS)
        passenger = Arrival(
            decision.id,
            decision.identity_hash,
            decision.flight,
            decision.flight_date,
            arrival_at,
            decision.score,
            decision.agency,
            values,
        )
        journey_hits = hits.get(passenger.journey, ())
        states = [HitState(hit.id, hit.rule_id, hit.agency, hit.status) for hit in journey_hits]
        work = [state for state in states if works(actor, state.agency)]
        shown = decision.record is not None and may_identify(actor, policy, decision.agency, bool(work))
        known = dict(zip(IDENTITY_FIELDS, values, strict=True)) if shown else None
        found.append(Candidate(passenger, risk, known, work, states))
    return found


def arrival_of(decision: DecisionRecord) -> dt.datetime | None:
    """The scheduled arrival (UTC) the decision's record gives, if it gives one."""
    return scheduled_arrival(decision.record)


#: The roles that work passengers, and so may be shown whom they are to stop.
IDENTIFYING_ROLES = frozenset({"officer", "approver"})


def may_identify(actor: Actor, policy: SharingPolicy, sender: str, works_on_it: bool) -> bool:
    """Whether ``actor`` may see the identity in a record ``sender``'s system sent.

    An officer is shown whom their agency's hits are on (``works_on_it``): that is whom to stop. Of
    the others, a record sent for evaluation is its sending agency's contribution (README, Sharing),
    shown as the sharing policy says. Auditors read who saw identities (``identity.view``), never
    the identities themselves.
    """
    if not actor.roles & IDENTIFYING_ROLES:
        return False
    return works_on_it or policy.sees_value(actor, [[sender]])


def identity_shown(actor: Actor, policy: SharingPolicy, decision: DecisionRecord, works_on_it: bool) -> Identity | None:
    """The passenger's identity as ``actor`` may see it (``may_identify``): None when the record is purged
    or withheld."""
    if decision.record is None or not may_identify(actor, policy, decision.agency, works_on_it):
        return None
    return identity_of(decision.record)


def works(actor: Actor, agency: str) -> bool:
    """Whether ``actor``'s worklist holds ``agency``'s hits: its own agency's; an auditor's, every agency's."""
    return agency == actor.agency or "auditor" in actor.roles


@dataclass(frozen=True)
class Route:
    departure_airport: str | None
    arrival_airport: str | None


@dataclass(frozen=True)
class WorklistRow:
    decision_id: str
    passenger_id: str | None
    flight: str
    #: None: withheld by the sharing policy
    identity: Identity | None
    scheduled_arrival: dt.datetime
    route: Route
    score: float
    percentile: float
    band: str
    #: the matches the sharing policy shows the caller (its own, and those of agencies a grant shows), with why
    reasons: list[dict[str, Any]]
    #: every other agency that matched, and how many of its rules did
    other_agencies: dict[str, int]
    hits: list[Hit]

    @property
    def identity_withheld(self) -> bool:
        return self.identity is None

    @property
    def scheduled_arrival_local(self) -> dt.datetime:
        return self.scheduled_arrival.astimezone(nz())


def row_of(
    actor: Actor,
    policy: SharingPolicy,
    candidate: Candidate,
    decision: DecisionRecord,
    hits: Sequence[Hit],
    titles: Mapping[tuple[str, int], str],
) -> WorklistRow:
    """A page's row: the candidate's whole ``decision``, with its reasons (each with why, from its hit
    among ``hits``, those of the journey the caller may see) as the policy shows them."""
    visible = {hit.rule_id: hit for hit in hits}
    matches = []
    for match in decision.matches:
        hit = visible.get(match["rule_id"])
        title = titles.get((match["rule_id"], match["version"]), "") if match.get("version") is not None else ""
        matches.append({**match, "title": title, "why": list(hit.why) if hit is not None else []})
    shown, _ = policy.matches_for(actor, matches)
    return WorklistRow(
        decision_id=decision.id,
        passenger_id=decision.passenger_ref,
        flight=candidate.arrival.flight,
        identity=identity_shown(actor, policy, decision, bool(candidate.work)),
        scheduled_arrival=candidate.arrival.arrival_at,
        route=route_of(decision.record),
        score=decision.score,
        percentile=candidate.risk.percentile,
        band=candidate.risk.band,
        reasons=sorted(shown, key=lambda m: (m.get("agency") != actor.agency, -m["weight"], m["rule_id"])),
        other_agencies=dict(sorted(Counter(m["agency"] for m in matches if m["agency"] != actor.agency).items())),
        hits=sorted(
            (hit for hit in hits if works(actor, hit.agency)), key=lambda hit: (hit.agency, hit.rule_id, hit.id)
        ),
    )


def wanted_versions(decisions: Iterable[DecisionRecord]) -> set[tuple[str, int]]:
    """The rule versions whose titles a page's reasons show."""
    return {(m["rule_id"], m["version"]) for d in decisions for m in d.matches if m.get("version") is not None}


def _section(record: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    section = record.get(name)
    return section if isinstance(section, Mapping) else {}


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def route_of(record: Mapping[str, Any] | None) -> Route:
    """The airports a record's flight leaves from and arrives at (None for those it does not give)."""
    flight = _section(record or {}, "flight")
    return Route(_text(flight.get("departure_airport")), _text(flight.get("arrival_airport")))
