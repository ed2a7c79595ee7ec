"""Hypothesis strategies: random rules over the whole catalogue and operator set, and random records.

Values come from small pools with boundary cases, so generated rules and records
actually meet: equal and unequal values, edges of ranges, missing and null fields,
unicode, quotes, numeric-looking strings.
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from engine import PackSource
from engine.catalogue import (
    CATALOGUE,
    FIELD_COMPARISONS,
    LEG_CATALOGUE,
    WATCHLIST_CATEGORIES,
    Field,
    FieldType,
    comparison_problem,
)
from engine.lists import FITS, LIST_TYPES
from engine.values import ValueProblem, parse_code, parse_value

STRINGS = ["", "Müller", "MULLER", "O'Brien", 'a"b', "back\\slash", "30", "30.0", "1e5", "true", "李小龙", " x ", "Ω"]
CODES = {
    "flight.carrier": ["NZ", "QF", "LA", "3K"],
    "flight.number": ["1", "5", "123", "5A"],
    "flight.departure_airport": ["AKL", "BOG", "LAX", "SYD"],
    "flight.arrival_airport": ["AKL", "CHC", "WLG"],
    "traveller.nationality": ["NZL", "AUS", "COL", "USA"],
    "traveller.country_of_residence": ["NZL", "AUS", "COL"],
    "document.type": ["P", "I", "V"],
    "document.number": ["X1234567", "A1", "ZZ9", "123"],
    "document.issuing_country": ["NZL", "COL", "USA"],
    "booking.reference": ["ABC123", "XYZ999", "QWERTY"],
    "itinerary.countries": ["NZL", "AUS", "COL", "USA", "PAN"],
    "itinerary.airports": ["AKL", "BOG", "LAX", "SYD", "PTY"],
    "leg.country": ["NZL", "AUS", "COL", "USA", "PAN"],
    "leg.airport": ["AKL", "BOG", "LAX", "SYD", "PTY"],
}
# Leg times: pairs of these give stays of minutes to days, and departures before arrivals.
LEG_TIMES = [
    "2026-11-30T06:00:00Z",
    "2026-11-30T20:00:00Z",
    "2026-12-01T18:00:00+13:00",
    "2026-12-02T05:59:59Z",
    "2026-12-03T06:00:00Z",
]
PATTERNS = ["[A-Z]{3}", "A.*", "X[0-9]+", "(NZ|AU)[A-Z]", ".*ü.*", "", "[0-9]+(\\.[0-9]+)?", "M(ü|ue|u)ller", "\\d+"]
DATES = ["1990-01-01", "2008-12-02", "2008-12-03", "2008-12-04", "2026-12-03", "2027-03-02", "2027-03-03", "2030-01-01"]
ARRIVALS = ["2026-12-03T08:00:00+13:00", "2026-12-02T19:00:00Z", "2026-12-03T12:00:00Z"]
DEPARTURES = ["2026-12-01T22:00:00Z", "2026-12-02T23:59:59-05:00", "2026-12-02T00:00:00"]
BOOKED = ["2026-11-29T10:00:00Z", "2026-11-30T23:30:00Z", "2026-12-01T01:00:00+13:00", "2026-10-01T00:00:00Z"]
AT = ["2026-01-01T00:00:00Z", "2026-12-01T00:00:00Z", "2027-06-30T23:59:59Z", "2027-07-01T00:00:00Z"]


def _integers(field: Field) -> st.SearchStrategy[int]:
    low = field.minimum if field.minimum is not None else -(10**6)
    high = field.maximum if field.maximum is not None else 10**6
    edges = [low, high, *[v for v in (-1, 0, 1, 2, 3, 17, 18, 19, 90, 91) if low <= v <= high]]
    return st.sampled_from(edges) | st.integers(max(low, -5), min(high, 40))


def rule_value(field: Field) -> st.SearchStrategy[Any]:
    """A value a rule may compare ``field`` with (JSON/YAML form)."""
    kind = field.type
    if kind is FieldType.STRING:
        return st.sampled_from(STRINGS)
    if kind in (FieldType.CODE, FieldType.CODE_LIST):
        return st.sampled_from(list(field.choices) or CODES[field.name])
    if kind is FieldType.INTEGER:
        return _integers(field)
    if kind is FieldType.DECIMAL and field.maximum == 1:  # watchlist scores
        return st.sampled_from(["0", "0.01", "0.5", "0.85", "0.9", "0.99", "1", 0.87])
    if kind is FieldType.DECIMAL:
        return st.sampled_from(["0", "0.01", "99.99", "100", "1000000", 100, 0.5])
    if kind is FieldType.BOOLEAN:
        return st.booleans()
    if kind is FieldType.DATE:
        return st.sampled_from(DATES)
    if kind is FieldType.DATETIME and field.name.startswith("leg."):
        return st.sampled_from(LEG_TIMES)
    if kind is FieldType.DATETIME:
        return st.sampled_from(ARRIVALS + DEPARTURES + BOOKED)
    raise AssertionError(kind)


# Every (field, comparison, other field) the language accepts, self-comparisons included.
COMPARISONS = [
    (left, op, right)
    for op in sorted(FIELD_COMPARISONS)
    for left in sorted(CATALOGUE)
    for right in sorted(CATALOGUE)
    if comparison_problem(CATALOGUE[left], op, CATALOGUE[right]) is None
]


def _all_valid(field: Field, values: list[Any]) -> bool:
    single = parse_code if field.type is FieldType.CODE_LIST else parse_value
    try:
        for value in values:
            single(field, value)
    except ValueProblem:
        return False
    return True


# Shared reference lists the generated rules name (``in_list``), each with the fields it fits.
LISTS = {
    "gen_countries": ("code", sorted({*CODES["traveller.nationality"], *CODES["itinerary.countries"], "FJI"})),
    "gen_airports": ("code", ["AKL", "BOG", "PTY", "NRT"]),
    "gen_bags": ("integer", [0, 2, 3, 17]),
    "gen_names": ("string", ["Müller", "O'Brien", "30", "李小龙", " x "]),
}
LIST_PACKS = [
    PackSource(f"lists/{name}.yaml", {"name": name, "agency": "mpi", "type": kind, "shared": True, "values": values})
    for name, (kind, values) in LISTS.items()
]
LIST_USES = [
    (name, field_name)
    for name, (kind, values) in LISTS.items()
    for field_name, field in sorted(CATALOGUE.items())
    if not field_name.startswith("watchlist.") and field.type in FITS[LIST_TYPES[kind]] and _all_valid(field, values)
]


@st.composite
def leaf(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(st.integers(0, 15))
    if kind == 4:  # a condition over one itinerary leg
        return {"any_leg": draw(leg_condition())}
    if kind == 3:  # a reference list
        name, field_name = draw(st.sampled_from(LIST_USES))
        listed_op = (
            "in_list"
            if CATALOGUE[field_name].type is FieldType.CODE_LIST
            else draw(st.sampled_from(["in_list", "not_in_list"]))
        )
        return {"field": field_name, listed_op: name}
    if kind == 0:
        return draw(watchlist_condition())
    if kind == 2:  # a field compared with another field of the record
        left, op, right = draw(st.sampled_from(COMPARISONS))
        return {"field": left, op: right}
    if kind == 1:  # a screening score under any operator, not only the written form's gte
        field = CATALOGUE[draw(st.sampled_from(sorted(name for name in CATALOGUE if name.startswith("watchlist."))))]
    else:
        field = CATALOGUE[draw(st.sampled_from(sorted(CATALOGUE)))]
    op = draw(st.sampled_from(sorted(field.operators)))
    return {"field": field.name, op: _value_for(draw, field, op, long_lists=True)}


def _value_for(draw: st.DrawFn, field: Field, op: str, long_lists: bool) -> Any:
    """A value for ``{field: NAME, op: VALUE}`` of the language (``long_lists``: now and then a long list)."""
    value_strategy = rule_value(field)
    if op == "exists":
        return draw(st.booleans())
    if op == "matches":
        return draw(st.sampled_from(PATTERNS))
    if op in ("in", "not_in", "contains_any"):
        values = draw(st.lists(value_strategy, min_size=1, max_size=3))
        if long_lists and draw(st.integers(0, 7)) == 0:  # a long list: one atom whatever its length
            values = [*values, *_filler(field, draw(st.sampled_from([40, 300, 2000])))]
        return values
    if op == "between":
        low, high = draw(value_strategy), draw(value_strategy)
        return [low, high] if _order(field, low) <= _order(field, high) else [high, low]
    return draw(value_strategy)


LEG_COMPARISONS = [
    (left, op, right)
    for op in sorted(FIELD_COMPARISONS)
    for left in sorted(LEG_CATALOGUE)
    for right in sorted(LEG_CATALOGUE)
    if comparison_problem(LEG_CATALOGUE[left], op, LEG_CATALOGUE[right]) is None
]


@st.composite
def leg_leaf(draw: st.DrawFn) -> dict[str, Any]:
    """A test of one leg field: a value, a list, a reference list or another field of the leg."""
    field = LEG_CATALOGUE[draw(st.sampled_from(sorted(LEG_CATALOGUE)))]
    kind = draw(st.integers(0, 5))
    if kind == 0:
        left, op, right = draw(st.sampled_from(LEG_COMPARISONS))
        return {"field": left, op: right}
    if kind == 1 and field.type is FieldType.CODE:
        name = "gen_countries" if field.name == "leg.country" else "gen_airports"
        return {"field": field.name, draw(st.sampled_from(["in_list", "not_in_list"])): name}
    op = draw(st.sampled_from(sorted(field.operators)))
    return {"field": field.name, op: _value_for(draw, field, op, long_lists=False)}


def leg_condition() -> st.SearchStrategy[dict[str, Any]]:
    return st.recursive(
        leg_leaf(),
        lambda children: st.one_of(
            st.lists(children, min_size=1, max_size=3).map(lambda items: {"all": items}),
            st.lists(children, min_size=1, max_size=3).map(lambda items: {"any": items}),
            children.map(lambda item: {"not": item}),
        ),
        max_leaves=4,
    )


@st.composite
def watchlist_condition(draw: st.DrawFn) -> dict[str, Any]:
    """The written form ``{watchlist: joint, min_score: ..., category: ...}``."""
    condition: dict[str, Any] = {"watchlist": "joint"}
    if draw(st.booleans()):
        condition["min_score"] = draw(st.sampled_from([0.5, 0.8, 0.85, 0.9, "0.95", 1]))
    if draw(st.booleans()):
        condition["category"] = draw(st.sampled_from(WATCHLIST_CATEGORIES))
    return condition


# Entries the generated names (STRINGS) can match, exactly or nearly.
WATCHLIST_ROWS = (
    "id,agency,family_name,given_names,date_of_birth,nationality,document_number,document_country,"
    "category,reason,expires\n"
    """W1,mpi,Müller,Müller,1990-01-01,,,,biosecurity,generated,2030-01-01
W2,customs,O'Brien,,,,X1234567,NZL,customs,generated,2027-01-01
W3,immigration,Mueller,O'Brien,2008,,,,immigration,generated,2030-01-01
W4,customs,Ω,Müller,,,,,customs,generated,2030-01-01
"""
)


def _filler(field: Field, size: int) -> list[Any]:
    """``size`` valid values of ``field`` that the generated records mostly do not carry."""
    from itertools import product
    from string import ascii_uppercase

    from engine.values import ValueProblem, parse_value

    if field.choices:
        return list(field.choices)
    kind = field.type
    if kind in (FieldType.INTEGER, FieldType.DECIMAL):
        low = int(field.minimum) if field.minimum is not None else 0
        numbers = (
            [low + n for n in range(size)] if kind is FieldType.INTEGER else [f"{n / 1000:.2f}" for n in range(size)]
        )
        return [number for number in numbers if _valid(field, number)]
    if kind is FieldType.DATE:
        import datetime as dt

        return [(dt.date(2000, 1, 1) + dt.timedelta(days=n)).isoformat() for n in range(size)]
    if kind is FieldType.BOOLEAN:
        return [True, False]
    found: list[Any] = []
    for letters in product(ascii_uppercase, repeat=3):
        candidate = "".join(letters) if kind is not FieldType.STRING else "filler " + "".join(letters)
        try:
            if kind is FieldType.CODE_LIST:
                from engine.values import parse_code

                parse_code(field, candidate)
            else:
                parse_value(field, candidate)
        except ValueProblem:
            if not found:
                return []  # a code of another shape (flight numbers): no filler
            continue
        found.append(candidate)
        if len(found) == size:
            break
    return found


def _valid(field: Field, value: Any) -> bool:
    from engine.values import ValueProblem, parse_value

    try:
        parse_value(field, value)
    except ValueProblem:
        return False
    return True


def _order(field: Field, value: Any) -> Any:
    from engine.values import parse_value

    return parse_value(field, value)


def condition(max_depth: int = 3) -> st.SearchStrategy[dict[str, Any]]:
    shallow = st.recursive(
        leaf(),
        lambda children: st.one_of(
            st.lists(children, min_size=1, max_size=3).map(lambda items: {"all": items}),
            st.lists(children, min_size=1, max_size=3).map(lambda items: {"any": items}),
            children.map(lambda item: {"not": item}),
        ),
        max_leaves=6,
    )
    return st.one_of(shallow, shallow, shallow, deep())


@st.composite
def deep(draw: st.DrawFn) -> dict[str, Any]:
    """A condition nested 12 to 40 levels, each level an all/any/not with a sibling leaf or two."""
    current = draw(leaf())
    for _ in range(draw(st.integers(12, 40))):
        kind = draw(st.sampled_from(["all", "any", "not"]))
        if kind == "not":
            current = {"not": current}
        else:
            siblings = draw(st.lists(leaf(), max_size=2))
            current = {kind: [current, *siblings]}
    return current


@st.composite
def rule_pack(draw: st.DrawFn, max_rules: int = 8) -> dict[str, Any]:
    count = draw(st.integers(1, max_rules))
    rules = []
    for number in range(count):
        rule: dict[str, Any] = {
            "id": f"GEN-{number:04d}",
            "title": f"generated {number}",
            "weight": draw(st.integers(1, 100)),
            "action": draw(st.sampled_from(["refer", "inspect", "notify"])),
            "when": draw(condition()),
        }
        if draw(st.booleans()):
            rule["valid_from"] = draw(st.sampled_from(["2026-01-01", "2026-12-01", "2027-07-01"]))
        if draw(st.booleans()):
            rule["valid_until"] = draw(st.sampled_from(["2026-12-01", "2027-06-30", "2030-01-01"]))
        if "valid_from" in rule and "valid_until" in rule and rule["valid_until"] < rule["valid_from"]:
            rule["valid_from"], rule["valid_until"] = rule["valid_until"], rule["valid_from"]
        rules.append(rule)
    return {"agency": draw(st.sampled_from(["customs", "mpi", "immigration"])), "rules": rules}


def _maybe(draw: st.DrawFn, strategy: st.SearchStrategy[Any]) -> Any:
    """Missing (sentinel), null, or a value."""
    return draw(st.one_of(st.just(_MISSING), st.none(), strategy))


_MISSING = object()


@st.composite
def record(draw: st.DrawFn) -> dict[str, Any]:
    """A raw passenger record that passes the catalogue check (fields missing, null or set)."""
    out: dict[str, Any] = {}
    sources: dict[str, st.SearchStrategy[Any]] = {}
    for name, field in CATALOGUE.items():
        if field.derived:
            continue
        if name == "traveller.date_of_birth":
            sources[name] = st.sampled_from([*DATES[:4], "1936-12-03", "1936-12-04"])
        elif name == "flight.scheduled_arrival":
            sources[name] = st.sampled_from(ARRIVALS)
        elif name == "flight.scheduled_departure":
            sources[name] = st.sampled_from(DEPARTURES)
        elif name == "booking.booked_at":
            sources[name] = st.sampled_from(BOOKED)
        else:
            sources[name] = rule_value(field)
    for name, strategy in sources.items():
        value = _maybe(draw, strategy)
        if value is _MISSING:
            continue
        if "." not in name:
            out[name] = value
            continue
        section, key = name.split(".", 1)
        out.setdefault(section, {})[key] = value
    legs = draw(st.one_of(st.just(_MISSING), st.none(), st.lists(_leg(), max_size=4)))
    if legs is not _MISSING:
        out["itinerary"] = legs
    return out


@st.composite
def _leg(draw: st.DrawFn) -> dict[str, Any]:
    leg: dict[str, Any] = {}
    for key, pool in (("airport", CODES["itinerary.airports"]), ("country", CODES["itinerary.countries"])):
        value = _maybe(draw, st.sampled_from(pool))
        if value is not _MISSING:
            leg[key] = value
    for key in ("arrival", "departure"):
        value = _maybe(draw, st.sampled_from(LEG_TIMES))
        if value is not _MISSING:
            leg[key] = value
    return leg
