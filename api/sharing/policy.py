"""The sharing policy: which agency sees which other agency's matches and contributed fields.

By default an agency sees only its own matches and contributions, plus every passenger's
combined score. Grants widen that, one (viewer, owner, what) at a time; each change is
audited. Auditors read everything (their work is to review all decisions).

A match is explained with the passenger's values (``why[].actual``), and those came from
some agency's contribution: a viewer sees a match per the ``matches`` grants, and each value
in it per the ``contributions`` grants of the agencies that gave it, exactly as it would
see that value in the profile. ``SharingPolicy.matches_for`` is the one place that decides
it; every answer, hit, journey, decision and priority list shows matches through it.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from api.common import Actor, Unprocessable
from engine.language import AGENCIES
from engine.records import WATCHLIST_FIELDS

SHARED_KINDS = ("matches", "contributions")


def check_grant(viewer: str, owner: str, kinds: Collection[str]) -> None:
    """``Unprocessable`` naming every field wrong in a grant of ``owner``'s ``kinds`` to ``viewer``."""
    errors: dict[str, list[str]] = {}
    if viewer not in AGENCIES:
        errors["viewer"] = [f"must be one of {', '.join(AGENCIES)}"]
    if owner not in AGENCIES:
        errors["owner"] = [f"must be one of {', '.join(AGENCIES)}"]
    elif owner == viewer:
        errors["owner"] = ["an agency always sees its own data"]
    if set(kinds) - set(SHARED_KINDS):
        errors["share"] = [f"each must be one of {', '.join(SHARED_KINDS)}"]
    if errors:
        raise Unprocessable("the sharing grant is invalid", "invalid_grant", errors)


#: What screening compares with the joint watchlist (``screening.Person``).
IDENTITY_FIELDS = (
    "traveller.family_name",
    "traveller.given_names",
    "traveller.date_of_birth",
    "traveller.nationality",
    "document.number",
    "document.issuing_country",
)
#: Each field the engine derives, and the contributed fields its value is computed from
#: (``engine.records``): a derived value shows something of each of them.
DERIVED_FROM: dict[str, tuple[str, ...]] = {
    "traveller.age": ("traveller.date_of_birth", "flight.scheduled_arrival"),
    "document.days_to_expiry": ("document.expiry_date", "flight.scheduled_arrival"),
    "visa.days_to_expiry": ("visa.expiry_date", "flight.scheduled_arrival"),
    "booking.days_before_departure": ("booking.booked_at", "flight.scheduled_departure"),
    "itinerary.countries": ("itinerary",),
    "itinerary.airports": ("itinerary",),
    "itinerary.legs": ("itinerary",),
    "itinerary.leg_count": ("itinerary",),
    "itinerary.country_count": ("itinerary",),
    **dict.fromkeys(WATCHLIST_FIELDS, IDENTITY_FIELDS),
}

#: Which agencies gave the value a record holds, by contributed key: ``section.name``, or the
#: section where it is given whole (``itinerary``, ``passenger_id``).
Provenance = Callable[[str], Collection[str]]


def submitted_by(agency: str) -> Provenance:
    """The provenance of a record one agency submitted whole."""
    return lambda key: (agency,)


def given_by(agencies: Mapping[str, Collection[str]]) -> Provenance:
    """The provenance of a merged record, from the agencies that gave each key's value."""
    return lambda key: agencies.get(key, ())


def with_sources(matches: Iterable[Mapping[str, Any]], provenance: Provenance) -> list[dict[str, Any]]:
    """``matches`` with each reason's ``sources``: for each contributed field its value comes
    from, the agencies that gave that field (kept with the match, read by ``matches_for``)."""
    return [
        {
            **match,
            "why": [
                {**reason, "sources": [found for name in _shown_fields(reason) for found in _sources(name, provenance)]}
                for reason in match["why"]
            ],
        }
        for match in matches
    ]


def _shown_fields(reason: Mapping[str, Any]) -> list[str]:
    """The fields whose values a reason shows: its own, and a field comparison's other field."""
    other = _compared_with(reason)
    return [reason["field"], *([other] if other else [])]


def _compared_with(reason: Mapping[str, Any]) -> str | None:
    expected = reason.get("expected")
    if str(reason.get("operator", "")).endswith("_field") and isinstance(expected, Mapping):
        return str(expected.get("field"))
    return None


def _sources(field: str, provenance: Provenance) -> list[list[str]]:
    found = []
    # A leg's fields (inside any_leg) and the legs themselves come from the itinerary.
    names = ("itinerary",) if field == "itinerary" or field.startswith("leg.") else DERIVED_FROM.get(field, (field,))
    for name in names:
        agencies = provenance(name) or provenance(name.split(".", 1)[0])
        if agencies:
            found.append(sorted(agencies))
    return found


@dataclass(frozen=True)
class SharingPolicy:
    grants: frozenset[tuple[str, str, str]]  # (viewer, owner, what)

    def sees(self, actor: Actor, owner: str, what: str) -> bool:
        """Whether ``actor`` may see ``owner`` agency's ``what`` (``matches`` or ``contributions``)."""
        if actor.agency == owner or "auditor" in actor.roles:
            return True
        return (actor.agency, owner, what) in self.grants

    def visible_agencies(self, actor: Actor, what: str) -> set[str]:
        return {owner for owner in AGENCIES if self.sees(actor, owner, what)}

    def sees_value(self, actor: Actor, sources: Iterable[Collection[str]]) -> bool:
        """Whether ``actor`` may see a value made of contributed fields, given for each field
        the agencies that gave it: it must see some contribution of each field."""
        return all(any(self.sees(actor, agency, "contributions") for agency in agencies) for agencies in sources)

    def matches_for(self, actor: Actor, matches: Iterable[Mapping[str, Any]]) -> tuple[list[dict[str, Any]], int]:
        """What ``actor`` may see of ``matches`` (each with its rule's ``agency``), and how many it may not.

        A match shows when ``actor`` sees its agency's matches. In it, each reason's passenger
        value (``actual``, and the watchlist entries it matched) shows only when ``actor`` sees
        the contribution it came from (``sees_value``); otherwise it is ``None`` and the reason
        says ``withheld``. A reason that does not say where its value came from (recorded
        before this was kept) is withheld from all but those who see every contribution.
        """
        shown: list[dict[str, Any]] = []
        hidden = 0
        for match in matches:
            if not self.sees(actor, match["agency"], "matches"):
                hidden += 1
            elif "why" in match:
                shown.append({**match, "why": [self._reason_for(actor, reason) for reason in match["why"]]})
            else:
                shown.append(dict(match))
        return shown, hidden

    def _reason_for(self, actor: Actor, reason: Mapping[str, Any]) -> dict[str, Any]:
        found = {name: value for name, value in reason.items() if name != "sources"}
        sources = reason.get("sources")
        if sources is None:
            sources = [[agency] for agency in AGENCIES]
        if not self.sees_value(actor, sources):
            found.pop("watchlist", None)
            found.update(actual=None, withheld=True)
            if _compared_with(found):  # the other field's value is the passenger's too
                found["expected"] = {**found["expected"], "value": None}
        return found

    def as_dict(self) -> dict[str, Any]:
        return {
            "default": "each agency sees its own matches and contributions, and every combined score",
            "grants": [{"viewer": v, "owner": o, "what": w} for v, o, w in sorted(self.grants)],
        }
