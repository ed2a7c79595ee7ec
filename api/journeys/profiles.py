"""Combined passenger profiles: information used once.

Each agency's system contributes its own part of a passenger's journey; the parts merge
into one profile that is evaluated once against every agency's rules, and again only
when a part changes. Each part must name the journey it belongs to (flight, departure
and document) so that a mistyped key cannot graft one passenger's data onto another.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from api.common import Actor, NotFound, Unprocessable
from api.container import Services
from api.evaluations.pipeline import evaluate_passengers
from api.http.fields import SubmittedPassenger
from api.journeys.interface import journey_key
from api.rules.rulesets import LoadedRuleset
from api.sharing.policy import given_by
from engine import PassengerRecord, RecordError, check_record
from engine.errors import group_by_path

EVALUATION = "_evaluation"
MIN_TTL_SECONDS = 60


def key_of(record: PassengerRecord) -> str | None:
    """The journey key of a checked record, or None when it lacks flight, departure or document."""
    carrier, number = record.get("flight.carrier"), record.get("flight.number")
    departure = record.get("flight.scheduled_departure")
    country, document = record.get("document.issuing_country"), record.get("document.number")
    if not (carrier and number and isinstance(departure, dt.datetime) and country and document):
        return None
    day = departure.astimezone(dt.UTC).date().isoformat()
    return journey_key(f"{carrier}{number}", day, str(country), str(document))


def merge(parts: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, str], list[dict[str, Any]]]:
    """The merged raw record, which agency gave each field, and fields two agencies gave differently.

    Parts merge oldest first, so where two agencies disagree the newest contribution wins
    (and the disagreement is reported).
    """
    merged: dict[str, Any] = {}
    provenance: dict[str, str] = {}
    conflicts: list[dict[str, Any]] = []
    ordered = sorted((part["at"], agency, part["passenger"]) for agency, part in parts.items() if agency != EVALUATION)
    for _, agency, passenger in ordered:
        for section, values in passenger.items():
            if isinstance(values, dict):
                target = merged.setdefault(section, {})
                for name, value in values.items():
                    dotted = f"{section}.{name}"
                    if dotted in provenance and target.get(name) != value and provenance[dotted] != agency:
                        conflicts.append({"field": dotted, "agencies": sorted({provenance[dotted], agency})})
                    target[name] = value
                    provenance[dotted] = agency
            else:
                if section in provenance and merged.get(section) != values and provenance[section] != agency:
                    conflicts.append({"field": section, "agencies": sorted({provenance[section], agency})})
                merged[section] = values
                provenance[section] = agency
    return merged, provenance, conflicts


def givers(parts: Mapping[str, Any], merged: Mapping[str, Any]) -> dict[str, set[str]]:
    """For each key of the merged record (``section.name``, or a section given whole), every
    agency whose part gave the value it holds: several agencies give the same flight and
    document, and each of them sees what it gave itself."""
    found: dict[str, set[str]] = {}
    for agency, part in parts.items():
        if agency == EVALUATION:
            continue
        for section, values in part["passenger"].items():
            if isinstance(values, dict) and isinstance(merged.get(section), dict):
                for name, value in values.items():
                    if merged[section].get(name) == value:
                        found.setdefault(f"{section}.{name}", set()).add(agency)
            elif merged.get(section) == values:
                found.setdefault(section, set()).add(agency)
    return found


def contribute(
    services: Services,
    loaded: LoadedRuleset,
    key: str,
    agency: str,
    submitted: SubmittedPassenger,
    actor: Actor,
) -> dict[str, Any]:
    if key_of(submitted.record) != key:
        raise Unprocessable(
            "the contribution is not for this journey: it must carry the flight (carrier, number, "
            "scheduled_departure) and the document (number, issuing_country) the key is derived from",
            "journey_mismatch",
            {"passenger": ["flight and document do not give this journey key"]},
        )
    now = dt.datetime.now(dt.UTC)
    known = services.journeys.get(key)
    previous = known.get(agency)
    if previous is not None and previous["passenger"] == submitted.raw and EVALUATION in known:
        return view(services, key, known, actor, changed=False)
    parts = services.journeys.put(
        key, agency, {"at": now.isoformat(), "passenger": submitted.raw}, _ttl(services, submitted.record, now)
    )
    merged, _, _ = merge(parts)
    try:
        record = check_record(merged)
    except RecordError as exc:
        # Each part passed on its own; together they do not (an age from one agency's date of
        # birth and another's arrival, say). Say where, and keep the part: it may be corrected.
        raise Unprocessable(
            "the merged profile is invalid", "invalid_profile", group_by_path(exc.problems, "_schema")
        ) from None
    outcome = evaluate_passengers(
        services,
        loaded,
        [SubmittedPassenger(merged, record)],
        None,
        actor,
        share=False,
        provenance=[given_by(givers(parts, merged))],
    )
    result = outcome["results"][0]
    evaluation = {
        "decision_id": result["decision_id"],
        "score": result["score"],
        "matches": result["matches"],
        "ruleset_version": outcome["ruleset_version"],
        "watchlist_version": outcome["watchlist_version"],
        "evaluated_at": outcome["evaluated_at"],
    }
    parts = services.journeys.put(key, EVALUATION, evaluation, _ttl(services, record, now))
    return view(services, key, parts, actor, changed=True)


def view(
    services: Services, key: str, parts: Mapping[str, Any], actor: Actor, changed: bool | None = None
) -> dict[str, Any]:
    """The profile as ``actor`` may see it: contributed fields and matches per the sharing policy."""
    if not any(agency != EVALUATION for agency in parts):
        raise NotFound(f"no journey {key}", "journey_not_found")
    policy = services.sharing.policy()
    merged, _, conflicts = merge(parts)
    given = givers(parts, merged)
    shown: dict[str, Any] = {}
    for section, values in merged.items():
        if isinstance(values, dict):
            kept = {n: v for n, v in values.items() if policy.sees_value(actor, [given.get(f"{section}.{n}", ())])}
            if kept:
                shown[section] = kept
        elif policy.sees_value(actor, [given.get(section, ())]):
            shown[section] = values
    evaluation = parts.get(EVALUATION, {})
    visible, hidden = policy.matches_for(actor, evaluation.get("matches", []))
    found = {
        "journey_key": key,
        "contributed_by": sorted(agency for agency in parts if agency != EVALUATION),
        "profile": shown,
        "conflicts": [c for c in conflicts if all(policy.sees(actor, a, "contributions") for a in c["agencies"])],
        "score": evaluation.get("score"),
        "matches": visible,
        "other_agency_matches": hidden,
        "decision_id": evaluation.get("decision_id"),
        "ruleset_version": evaluation.get("ruleset_version"),
        "evaluated_at": evaluation.get("evaluated_at"),
    }
    if changed is not None:
        found["evaluated"] = changed
    return found


def _ttl(services: Services, record: PassengerRecord, now: dt.datetime) -> int:
    """Seconds until the profile is past use: arrival (else departure) plus the configured hours."""
    arrival = record.get("flight.scheduled_arrival") or record.get("flight.scheduled_departure")
    if not isinstance(arrival, dt.datetime):
        return MIN_TTL_SECONDS
    ends = arrival + dt.timedelta(hours=services.settings.journey_hours_after_arrival)
    longest = dt.timedelta(days=services.settings.record_retention_days)
    return int(max(MIN_TTL_SECONDS, min((ends - now).total_seconds(), longest.total_seconds())))
