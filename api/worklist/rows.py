"""The worklist's rows: a passenger arriving on a New Zealand day, with the caller's agency's hits.

The source is the newest retained decision per passenger journey on a flight departing (UTC
date) from two days before the arrival day to that day, which covers every flight arriving on
it; a journey is on the day when its record's ``flight.scheduled_arrival`` falls on it in
Pacific/Auckland. Relative risk (``engine.risk``) ranks every passenger arriving that day, as
a priority list ranks a flight's. What a row shows of other agencies' matches, and of the
record itself, is the sharing policy's to say (``SharingPolicy``).
"""

from __future__ import annotations

import datetime as dt
import functools
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from anyascii import anyascii

from api.common import Actor
from api.evaluations.interface import DecisionRecord
from api.hits.interface import OPEN, Hit, Journey
from api.sharing.policy import SharingPolicy
from engine.risk import RelativeRisk, relative_risk
from engine.values import ValueProblem, parse_datetime


@functools.cache
def nz() -> ZoneInfo:
    """New Zealand's time zone, from the system's zone database (read on first use, so a host without
    one fails only here, not at start)."""
    return ZoneInfo("Pacific/Auckland")


#: How many UTC dates before a New Zealand arrival day a flight arriving on it can depart: an arrival
#: that day is in UTC on that date or the one before (New Zealand is 12 or 13 hours ahead), and no
#: flight is in the air for a whole day (the longest take about 19 hours).
DEPARTURE_DAYS_BEFORE = 2


def today() -> dt.date:
    """Today in New Zealand."""
    return dt.datetime.now(nz()).date()


def departure_window(day: dt.date) -> tuple[dt.date, dt.date]:
    """The UTC departure dates of every flight that can arrive in New Zealand on ``day``."""
    return day - dt.timedelta(days=DEPARTURE_DAYS_BEFORE), day


def arrival_of(decision: DecisionRecord) -> dt.datetime | None:
    """The scheduled arrival (UTC) the decision's record gives, if it gives one."""
    flight = _section(decision.record or {}, "flight")
    try:
        return parse_datetime(flight["scheduled_arrival"]) if "scheduled_arrival" in flight else None
    except ValueProblem:
        return None


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

    def matches(self, folded_query: str, document_query: str) -> bool:
        """Whether a search (folded as ``fold`` and ``fold_document`` fold it) finds this passenger."""
        family, given = fold(self.family_name or ""), fold(self.given_names or "")
        names = (family, given, f"{given} {family}", f"{family} {given}")
        if folded_query and any(folded_query in name for name in names):
            return True
        return bool(document_query) and document_query in fold_document(self.document.number or "")


def identity_of(record: Mapping[str, Any]) -> Identity:
    traveller, document = _section(record, "traveller"), _section(record, "document")
    booking, flight = _section(record, "booking"), _section(record, "flight")
    return Identity(
        _text(traveller.get("family_name")),
        _text(traveller.get("given_names")),
        _text(traveller.get("date_of_birth")),
        _text(traveller.get("nationality")),
        Document(_text(document.get("number")), _text(document.get("issuing_country"))),
        _text(booking.get("reference")),
        _text(flight.get("seat")),
    )


def fold(text: str) -> str:
    """Text as a name search compares it: ASCII (accents folded), case folded, single spaces."""
    return " ".join(anyascii(text).casefold().split())


def fold_document(text: str) -> str:
    """A document number as a search compares it: letters and digits only, upper case."""
    return "".join(ch for ch in text.upper() if ch.isalnum())


@dataclass(frozen=True)
class Candidate:
    """A passenger arriving on the day, with what filters and sorting need (rows are built for a page only)."""

    decision: DecisionRecord
    arrival: dt.datetime
    risk: RelativeRisk
    #: None: the sharing policy does not show the caller the record's contributed fields
    identity: Identity | None
    #: the hits the caller's agency works (an auditor: every agency's), oldest first
    work: list[Hit]
    #: every hit on the journey the caller may see, by rule
    visible: Mapping[str, Hit]

    @property
    def open(self) -> bool:
        return any(hit.status in OPEN for hit in self.work)


def candidates(
    actor: Actor,
    policy: SharingPolicy,
    decisions: Iterable[DecisionRecord],
    hits: Mapping[Journey, Sequence[Hit]],
    day: dt.date,
) -> tuple[list[Candidate], int]:
    """The passengers arriving on ``day`` the caller's agency has hits on, and how many arrive in all.

    ``hits`` are those of the agencies whose matches the caller sees (``visible_agencies``).
    """
    arriving = arriving_on(decisions, day)
    # Relative to everyone arriving that day, whichever agency's work they are.
    risks = relative_risk([decision.score for decision, _ in arriving])
    found = []
    for (decision, arrival), risk in zip(arriving, risks, strict=True):
        candidate = candidate_of(actor, policy, decision, arrival, risk, hits)
        if candidate.work:
            found.append(candidate)
    return found, len(arriving)


def arriving_on(decisions: Iterable[DecisionRecord], day: dt.date) -> list[tuple[DecisionRecord, dt.datetime]]:
    """The decisions whose record's scheduled arrival falls on ``day`` in New Zealand, with that arrival."""
    arriving = []
    for decision in decisions:
        arrival = arrival_of(decision)
        if arrival is not None and arrival.astimezone(nz()).date() == day:
            arriving.append((decision, arrival))
    return arriving


def flight_candidates(
    actor: Actor, policy: SharingPolicy, decisions: Sequence[DecisionRecord], hits: Mapping[Journey, Sequence[Hit]]
) -> list[Candidate]:
    """Every passenger on one flight (``flight_decisions``), ranked relative to the flight as its priority
    list ranks them, whether or not the caller's agency has hits on them.

    A record that gives no scheduled arrival is placed at the start of its departure day (UTC), which
    sorts it with its flight: the arrival sort has nothing better to go on.
    """
    risks = relative_risk([decision.score for decision in decisions])
    found = []
    for decision, risk in zip(decisions, risks, strict=True):
        assert decision.flight_date is not None  # flight_decisions' own
        arrival = arrival_of(decision) or dt.datetime.combine(decision.flight_date, dt.time(), dt.UTC)
        found.append(candidate_of(actor, policy, decision, arrival, risk, hits))
    return found


def candidate_of(
    actor: Actor,
    policy: SharingPolicy,
    decision: DecisionRecord,
    arrival: dt.datetime,
    risk: RelativeRisk,
    hits: Mapping[Journey, Sequence[Hit]],
) -> Candidate:
    assert decision.flight is not None and decision.flight_date is not None  # placed on a flight
    journey_hits = hits.get((decision.identity_hash, decision.flight, decision.flight_date), ())
    work = [hit for hit in journey_hits if works(actor, hit.agency)]
    visible = {hit.rule_id: hit for hit in journey_hits}
    return Candidate(decision, arrival, risk, identity_shown(actor, policy, decision, bool(work)), work, visible)


#: The roles that work passengers, and so may be shown whom they are to stop.
IDENTIFYING_ROLES = frozenset({"officer", "approver"})


def identity_shown(actor: Actor, policy: SharingPolicy, decision: DecisionRecord, works_on_it: bool) -> Identity | None:
    """The passenger's identity as ``actor`` may see it: None when the record is purged or withheld.

    An officer is shown whom their agency's hits are on (``works_on_it``): that is whom to stop. Of
    the others, a record sent for evaluation is its sending agency's contribution (README, Sharing),
    shown as the sharing policy says. Auditors read who saw identities (``identity.view``), never
    the identities themselves.
    """
    if decision.record is None or not actor.roles & IDENTIFYING_ROLES:
        return None
    if works_on_it or policy.sees_value(actor, [[decision.agency]]):
        return identity_of(decision.record)
    return None


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
    actor: Actor, policy: SharingPolicy, candidate: Candidate, titles: Mapping[tuple[str, int], str]
) -> WorklistRow:
    """A page's row: the candidate with its reasons (each with why, from its hit) as the policy shows them."""
    decision = candidate.decision
    matches = []
    for match in decision.matches:
        hit = candidate.visible.get(match["rule_id"])
        title = titles.get((match["rule_id"], match["version"]), "") if match.get("version") is not None else ""
        matches.append({**match, "title": title, "why": list(hit.why) if hit is not None else []})
    shown, _ = policy.matches_for(actor, matches)
    assert decision.flight is not None
    return WorklistRow(
        decision_id=decision.id,
        passenger_id=decision.passenger_ref,
        flight=decision.flight,
        identity=candidate.identity,
        scheduled_arrival=candidate.arrival,
        route=route_of(decision.record),
        score=decision.score,
        percentile=candidate.risk.percentile,
        band=candidate.risk.band,
        reasons=sorted(shown, key=lambda m: (m.get("agency") != actor.agency, -m["weight"], m["rule_id"])),
        other_agencies=dict(sorted(Counter(m["agency"] for m in matches if m["agency"] != actor.agency).items())),
        hits=sorted(candidate.work, key=lambda hit: (hit.agency, hit.rule_id, hit.id)),
    )


def wanted_versions(page: Iterable[Candidate]) -> set[tuple[str, int]]:
    """The rule versions whose titles a page's reasons show."""
    return {(m["rule_id"], m["version"]) for c in page for m in c.decision.matches if m.get("version") is not None}


def _section(record: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    section = record.get(name)
    return section if isinstance(section, Mapping) else {}


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def route_of(record: Mapping[str, Any] | None) -> Route:
    """The airports a record's flight leaves from and arrives at (None for those it does not give)."""
    flight = _section(record or {}, "flight")
    return Route(_text(flight.get("departure_airport")), _text(flight.get("arrival_airport")))
