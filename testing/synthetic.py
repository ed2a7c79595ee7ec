"""Seeded generator of realistic synthetic rule packs and passengers, for scale tests and benchmarks.

Rules look like the agencies' own: most are anchored on a route, origin or document
country (an equality or membership the compiler can index) plus three behaviour signals
of different kinds; a few percent have no such anchor and four signals instead. Passengers
follow skewed real-world-like distributions (most book direct or through a big chain, most
hold a visa waiver, few declare cash), so a few percent of them hit something at 10,000
rules and well under 1 % at 1,000.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

AIRPORTS = [
    "SYD",
    "MEL",
    "BNE",
    "LAX",
    "SFO",
    "SIN",
    "HKG",
    "NRT",
    "ICN",
    "PVG",
    "CAN",
    "DXB",
    "DOH",
    "NAN",
    "RAR",
    "APW",
    "TBU",
    "HNL",
    "YVR",
    "SCL",
    "EZE",
    "GRU",
    "BOG",
    "LIM",
    "MEX",
    "PTY",
    "BKK",
    "KUL",
    "CGK",
    "DPS",
    "MNL",
    "DEL",
    "BOM",
    "CMB",
    "KTM",
    "IST",
    "LHR",
    "CDG",
    "FRA",
    "AMS",
    "JNB",
    "ADD",
    "NBO",
    "TPE",
    "PER",
    "ADL",
    "OOL",
    "CNS",
    "HBA",
    "POM",
    "NOU",
    "PPT",
    "VLI",
    "HND",
    "KIX",
    "SGN",
    "HAN",
    "PEK",
    "CTU",
    "DAC",
]
COUNTRIES = [
    "AUS",
    "USA",
    "CHN",
    "GBR",
    "IND",
    "FJI",
    "WSM",
    "TON",
    "JPN",
    "KOR",
    "SGP",
    "MYS",
    "THA",
    "IDN",
    "PHL",
    "VNM",
    "HKG",
    "TWN",
    "CAN",
    "CHL",
    "ARG",
    "BRA",
    "COL",
    "PER",
    "BOL",
    "MEX",
    "PAN",
    "ARE",
    "QAT",
    "TUR",
    "DEU",
    "FRA",
    "NLD",
    "ZAF",
    "ETH",
    "KEN",
    "NGA",
    "PAK",
    "BGD",
    "LKA",
    "NPL",
    "COK",
    "NIU",
    "PNG",
    "NCL",
    "PYF",
    "VUT",
    "SLB",
    "KIR",
    "TUV",
    "IRL",
    "ITA",
    "ESP",
    "CHE",
    "SWE",
    "NOR",
    "DNK",
    "POL",
    "RUS",
    "UKR",
    "EGY",
    "MAR",
    "IRN",
    "IRQ",
    "AFG",
    "SAU",
    "ISR",
    "JOR",
    "LBN",
    "SYR",
    "KHM",
    "LAO",
    "MMR",
    "MNG",
    "KAZ",
    "UZB",
    "NZL",
    "ECU",
    "VEN",
    "URY",
]
# Share of passengers making each declaration: food is common, cash over the threshold rare.
_DECLARATIONS = {
    "food": 0.12,
    "plants_or_seeds": 0.03,
    "animal_products": 0.04,
    "outdoor_equipment": 0.05,
    "visited_farm": 0.02,
    "cash_over_threshold": 0.005,
    "goods_over_allowance": 0.02,
    "medicines": 0.06,
}
# Most bookings are made direct or through a large chain; the rest spread over many small agencies.
_AGENCY_WEIGHTS = {"Direct": 52, "Flight Centre": 18, "Quick Travel NZ": 2, "Fast Travel Ltd": 2, "small agency": 26}
_VISA_WEIGHTS = {"WAIVER": 45, "VISITOR": 20, "RESIDENT": 15, "WORK": 6, "STUDENT": 6, "NONE": 5, "TRANSIT": 3}
_AGENCIES = {"customs": "CUS", "mpi": "MPI", "immigration": "INZ"}
_NZ_SUMMER = dt.timezone(dt.timedelta(hours=13))


def _skewed(rnd: random.Random, items: list[str]) -> str:
    """Pick with a long tail: the first items are far more common, like real traffic."""
    return items[min(int(rnd.expovariate(1 / (len(items) / 6))), len(items) - 1)]


_SIGNAL_KINDS = 12


def _signal(rnd: random.Random, kind: int) -> dict[str, Any]:
    """A behaviour signal of one kind; each holds for roughly 1 to 8 % of passengers (a few well under 1 %)."""
    if kind == 0:
        return {"field": "booking.payment_method", "in": rnd.sample(["cash", "voucher", "other"], 2)}
    if kind == 1:
        return {"field": "booking.days_before_departure", "lte": rnd.randint(0, 1)}
    if kind == 2:
        return {"field": "booking.checked_bags", "gte": rnd.randint(3, 5)}
    if kind == 3:
        return {"all": [{"field": "booking.one_way", "eq": True}, {"field": "booking.passengers_in_booking", "eq": 1}]}
    if kind == 4:
        return {"field": f"declarations.{rnd.choice(list(_DECLARATIONS))}", "eq": True}
    if kind == 5:
        low = rnd.randint(16, 60)
        return {"field": "traveller.age", "between": [low, low + rnd.randint(0, 2)]}
    if kind == 6:
        return {"field": "document.days_to_expiry", "lt": rnd.choice([30, 60, 90])}
    if kind == 7:
        return {"field": "visa.type", "eq": rnd.choice(["NONE", "TRANSIT", "STUDENT"])}
    if kind == 8:
        return {"field": "booking.travel_agency", "matches": rnd.choice(["Agency 1[0-9]", "(Fast|Quick) Travel.*"])}
    if kind == 9:
        return {
            "all": [
                {"not": {"field": "traveller.country_of_residence", "eq": "NZL"}},
                {"field": "booking.passengers_in_booking", "gte": rnd.randint(4, 6)},
            ]
        }
    if kind == 10:
        return {"field": "history.prior_customs_offences", "gte": rnd.randint(1, 3)}
    return {"any": [{"field": "booking.payment_method", "eq": "cash"}, {"field": "booking.checked_bags", "gte": 4}]}


def _agency(rnd: random.Random) -> str:
    name = rnd.choices(list(_AGENCY_WEIGHTS), list(_AGENCY_WEIGHTS.values()))[0]
    return f"Agency {rnd.randint(1, 60)}" if name == "small agency" else name


def _anchor(rnd: random.Random) -> dict[str, Any] | None:
    kind = rnd.random()
    if kind < 0.35:
        return {"field": "flight.departure_airport", "eq": _skewed(rnd, AIRPORTS)}
    if kind < 0.60:
        return {"field": "itinerary.countries", "contains": _skewed(rnd, COUNTRIES)}
    if kind < 0.78:
        return {"field": "document.issuing_country", "in": [_skewed(rnd, COUNTRIES) for _ in range(rnd.randint(1, 2))]}
    if kind < 0.97:
        return {"field": "traveller.nationality", "eq": _skewed(rnd, COUNTRIES)}
    return None  # a few rules have no usable index key


def synthetic_packs(rule_count: int, seed: int = 1) -> list[dict[str, Any]]:
    """``rule_count`` rules split across the three agencies, as pack data."""
    rnd = random.Random(seed)
    packs: dict[str, list[dict[str, Any]]] = {agency: [] for agency in _AGENCIES}
    for number in range(rule_count):
        agency = list(_AGENCIES)[number % 3]
        # Distinct kinds: a rule does not repeat itself, and repeats would make it match far more often.
        kinds = rnd.sample(range(_SIGNAL_KINDS), 4)
        conditions = [_signal(rnd, kind) for kind in kinds[:3]]
        anchor = _anchor(rnd)
        if anchor is None:
            conditions.append(_signal(rnd, kinds[3]))
        else:
            conditions.insert(0, anchor)
        packs[agency].append(
            {
                "id": f"{_AGENCIES[agency]}-{number:06d}",
                "title": f"Synthetic {agency} rule {number}",
                "weight": rnd.randint(5, 80),
                "action": rnd.choice(["refer", "inspect", "notify"]),
                "valid_until": "2028-12-31",
                "when": {"all": conditions},
            }
        )
    return [{"agency": agency, "rules": rules} for agency, rules in packs.items()]


FIRST_ARRIVAL = dt.datetime(2026, 12, 3, 8, 0, tzinfo=dt.UTC)


def synthetic_records(
    count: int, seed: int = 2, first_arrival: dt.datetime = FIRST_ARRIVAL, spread_days: int = 0
) -> list[dict[str, Any]]:
    """``count`` passengers arriving between ``first_arrival`` and ``spread_days`` days later.

    Arrival times fall on the minute in the arriving country's summer offset (+13:00), as
    manifests carry them, so rules on local dates and seasons meet ordinary values.
    """
    rnd = random.Random(seed)
    records = []
    for number in range(count):
        arrival = first_arrival
        if spread_days:  # no draw otherwise: the seeded sequences the benchmarks use stay as they were
            arrival = (first_arrival + dt.timedelta(minutes=rnd.randint(0, spread_days * 24 * 60))).astimezone(
                _NZ_SUMMER
            )
        departure = arrival - dt.timedelta(hours=rnd.randint(3, 30))
        legs = [
            {"airport": _skewed(rnd, AIRPORTS), "country": _skewed(rnd, COUNTRIES)} for _ in range(rnd.randint(1, 3))
        ]
        nationality = _skewed(rnd, COUNTRIES)
        records.append(
            {
                "passenger_id": f"SYN-{number:07d}",
                "flight": {
                    "carrier": rnd.choice(["NZ", "QF", "SQ", "EK", "LA", "CX"]),
                    "number": str(rnd.randint(1, 999)),
                    "departure_airport": legs[-1]["airport"],
                    "arrival_airport": rnd.choice(["AKL", "AKL", "AKL", "CHC", "WLG", "ZQN"]),
                    "scheduled_departure": departure.isoformat(),
                    "scheduled_arrival": arrival.isoformat(),
                },
                "traveller": {
                    "family_name": f"Family{number}",
                    "given_names": f"Given{number}",
                    "date_of_birth": (dt.date(1950, 1, 1) + dt.timedelta(days=rnd.randint(0, 365 * 60))).isoformat(),
                    "sex": rnd.choice(["F", "M"]),
                    "nationality": nationality,
                    "country_of_residence": rnd.choice([nationality, "NZL", "AUS"]),
                },
                "document": {
                    "type": "P",
                    "number": f"N{rnd.randint(1000000, 9999999)}",
                    "issuing_country": nationality if rnd.random() < 0.95 else _skewed(rnd, COUNTRIES),
                    "expiry_date": (arrival.date() + dt.timedelta(days=rnd.randint(-10, 3650))).isoformat(),
                },
                "visa": {"type": rnd.choices(list(_VISA_WEIGHTS), list(_VISA_WEIGHTS.values()))[0]},
                "booking": {
                    "reference": f"R{rnd.randint(10000, 99999)}",
                    "booked_at": (departure - dt.timedelta(days=int(rnd.expovariate(1 / 30)))).isoformat(),
                    "payment_method": rnd.choices(["card", "cash", "invoice", "voucher", "miles"], [85, 4, 6, 3, 2])[0],
                    "travel_agency": _agency(rnd),
                    "checked_bags": min(int(rnd.expovariate(1.2)), 50),
                    "one_way": rnd.random() < 0.15,
                    "passengers_in_booking": rnd.choices([1, 2, 3, 4, 5, 6], [50, 28, 10, 7, 3, 2])[0],
                },
                "itinerary": legs,
                "declarations": {name: rnd.random() < share for name, share in _DECLARATIONS.items()},
                "history": {"prior_customs_offences": int(rnd.random() < 0.01)},
            }
        )
    return records


def synthetic_paxlst(passengers: int) -> str:
    """A D:05B PAXLST message for one LHR-AKL flight with ``passengers`` synthetic passengers."""
    segments = [
        "UNA:+.? '",
        "UNB+UNOA:4+NZAIR:ZZ+NZCS:ZZ+261201:2200+IC9'",
        "UNH+BIG1+PAXLST:D:05B:UN:IATA'",
        "BGM+745'",
        "TDT+20+NZ1+++NZ'",
        "LOC+125+LHR'",
        "DTM+189:2611301100:201'",
        "LOC+87+AKL'",
        "DTM+232:2612020600:201'",
    ]
    for n in range(passengers):
        segments += [
            f"NAD+FL+++PASSENGER{n}:GIVEN{n}'",
            f"ATT+2++{'MFX'[n % 3]}'",
            f"DTM+329:{(n % 80) + 10:02d}0{(n % 9) + 1}1{n % 10}'",
            "LOC+178+LHR'",
            "LOC+179+AKL'",
            f"NAT+2+{('GBR', 'NZL', 'USA', 'FRA')[n % 4]}'",
            f"RFF+AVF:PNR{n:04d}'",
            f"DOC+P:110:111+DOC{n:07d}'",
            f"DTM+36:{30 + n % 5}0101'",
            "LOC+91+GBR'",
        ]
    in_message = len(segments) - 2 + 2  # UNH onwards (not UNA and UNB), plus CNT and UNT
    segments += [f"CNT+42:{passengers}'", f"UNT+{in_message}+BIG1'", "UNZ+1+IC9'"]
    return "\n".join(segments)
