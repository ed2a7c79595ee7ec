"""Country codes as messages send them (ISO alpha-2 or alpha-3, ICAO 9303's D for Germany), read
as the catalogue's ISO 3166-1 alpha-3, and checked: a code is kept only when it is an ISO 3166-1
country or one of the codes ICAO 9303 adds for travel documents."""

from __future__ import annotations

from typing import Any

import pycountry

from messages.edifact import Segment
from messages.problems import Problems, show_code

# ICAO Doc 9303 Part 3: codes of travel documents that are not ISO 3166-1 countries.
ICAO_CODES = frozenset(
    {
        "GBD",  # British Overseas Territories Citizen
        "GBN",  # British National (Overseas)
        "GBO",  # British Overseas Citizen
        "GBP",  # British Protected Person
        "GBS",  # British Subject
        "EUE",  # European Union (laissez-passer)
        "UNO",  # United Nations Organization
        "UNA",  # a specialized agency of the United Nations
        "UNK",  # resident of Kosovo, document issued by UNMIK
        "XBA",  # African Development Bank
        "XIM",  # African Export-Import Bank
        "XCC",  # Caribbean Community
        "XCE",  # Council of Europe
        "XCO",  # Common Market for Eastern and Southern Africa
        "XEC",  # Economic Community of West African States
        "XES",  # Organisation of Eastern Caribbean States
        "XMP",  # Parliamentary Assembly of the Mediterranean
        "XOM",  # Sovereign Military Order of Malta
        "XPO",  # INTERPOL
        "XDC",  # Southern African Development Community
        "XXA",  # stateless person
        "XXB",  # refugee (1951 Convention)
        "XXC",  # refugee (other)
        "XXX",  # unspecified nationality
        "RKS",  # Kosovo, as its own documents write it
    }
)


def alpha3(code: str) -> str | None:
    """ISO 3166-1 alpha-3 for a 2-letter code (Kosovo's XK as RKS), and ICAO 9303's D for Germany;
    other codes unchanged; None for a 2-letter code that is no country."""
    if code == "D":
        return "DEU"
    if code == "XK":
        return "RKS"  # Kosovo: a user-assigned alpha-2 that feeds and the airport table use
    if len(code) == 2 and code.isalpha():
        try:
            country = pycountry.countries.get(alpha_2=code)
        except (KeyError, LookupError):
            country = None
        return country.alpha_3 if country is not None else None
    return code


#: Why a code of the catalogue's shape is still refused.
NOT_A_COUNTRY = "not an ISO 3166-1 country or an ICAO 9303 code"


def known(code: str) -> bool:
    """Whether ``code`` is an ISO 3166-1 alpha-3 country or an ICAO 9303 document code."""
    if code in ICAO_CODES:
        return True
    try:
        return len(code) == 3 and pycountry.countries.get(alpha_3=code) is not None
    except (KeyError, LookupError):
        return False


def country_code(raw: str, segment: Segment, what: str, problems: Problems[Any], *, quiet: bool = False) -> str:
    """``raw`` as the code to check against the catalogue: a 2-letter code converted to alpha-3 (with
    a warning unless ``quiet``); "" when there is none. Whether it is a country: ``known``."""
    code = raw.strip().upper()
    if not code:
        return ""
    converted = alpha3(code)
    if converted is not None and converted != code:
        if not quiet:
            problems.warn("country_converted", segment, f"{what} {show_code(code)} read as {converted}")
        code = converted
    return code
