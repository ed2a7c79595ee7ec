"""The passenger page shows both sources of a passenger joined from the flight's API and PNR: which
message gave each part of the record, how they were matched, and where they disagree."""

from __future__ import annotations

import html
import re
from typing import Any

from tests.api.test_flight_journeys import BOARDED, BOOKED, paxlst, pnrgov
from tests.console.conftest import Console, sign_in


def _send(console: Console, kind: str, text: str) -> None:
    response = console.app.test_client().post(
        f"/v1/manifests/{kind}",
        data=text.encode(),
        content_type="application/edifact",
        headers={"X-API-Key": console.keys["system"]},
    )
    assert response.status_code == 200, response.get_json()


def _page(client: Any, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200
    return html.unescape(response.get_data(as_text=True))


def _links(listing: str) -> dict[str, str]:
    """Each passenger's page on a priority list, by the system's passenger id (shown under a name)."""
    found = re.findall(
        r'href="(/console/passengers/[^"]+)">([^<]*)</a>(?:<br><span class="muted">([^<]*)</span>)?', listing
    )
    return {ref or text: link for link, text, ref in found}


def test_the_passenger_page_shows_which_message_gave_what_and_where_they_disagree(console: Console) -> None:
    _send(console, "paxlst", paxlst(BOARDED))
    _send(console, "pnrgov", pnrgov(BOOKED))
    officer = console.app.test_client()
    assert sign_in(officer, console.keys["officer"]).status_code == 303
    listing = _page(officer, "/console/flights/NZ5/2026-12-02")
    links = _links(listing)
    mary = _page(officer, links["MSG0001-1"])
    section = re.search(r'<section class="journey-sources".*?</section>', mary, re.S).group(0)
    assert "Joined from the flight's API (PAXLST) and its PNR (PNRGOV), matched by travel document." in section
    assert re.search(r"<th scope=\"row\">booking</th><td>PNR</td>", section)
    # The travelled document is the API's; the PNR's DOCS, of the same document, adds its expiry.
    assert re.search(r"<th scope=\"row\">document</th><td>API and PNR</td>", section)
    assert "The name booked differs from the name travelled under." in section and "journey.name_differs" in section
    nora = _page(officer, links["DEF456-2"])
    assert "From the flight's PNR (PNRGOV) alone." in nora and "journey.booked_not_boarded" in nora
    # A passenger submitted whole (not from airline messages) has no such section.
    console.api(
        "POST",
        "/v1/evaluations",
        "system",
        {
            "passenger": {
                "passenger_id": "JSON-1",
                "flight": {"carrier": "NZ", "number": "5", "scheduled_departure": "2026-12-02T06:00:00Z"},
            }
        },
    )
    listing = _page(officer, "/console/flights/NZ5/2026-12-02")
    link = _links(listing)["JSON-1"]
    assert 'class="journey-sources"' not in _page(officer, link)
