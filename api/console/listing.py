"""What the worklist and a flight's priority list share: filters from the page's query, cursor paging
with a way back, and the worklist a passenger page was opened from.

The API pages forwards only (``next_cursor``); the console keeps the cursors of the pages
before in the link (``back``), so "Previous page" is one more request, not a re-walk.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode

from flask import request, url_for

from api.console.client import ApiError

#: The worklist's filters and order, as the page's query and the API's share them.
WORKLIST_FILTERS = ("date", "flight", "status", "band", "rule", "nationality", "q", "sort")
#: A flight's priority list: the flight and day are in its path.
PRIORITY_FILTERS = ("status", "band", "rule", "nationality", "q", "sort")
PAGE_SIZES = (25, 50, 100, 200)
DEFAULT_PAGE_SIZE = 50
#: Pages remembered for "Previous page": enough for 200 rows a page of the largest flight.
MAX_BACK = 50


@dataclass(frozen=True)
class Listing:
    """One page of a list as the page's query asks for it."""

    filters: dict[str, str]
    limit: int
    cursor: str
    #: the cursors of the pages before this one, the first page's being ""
    back: list[str]
    #: rows on the pages before this one
    start: int

    @classmethod
    def from_request(cls, names: tuple[str, ...]) -> Listing:
        filters = {name: request.args.get(name, "").strip() for name in names}
        try:
            limit = int(request.args.get("limit", DEFAULT_PAGE_SIZE))
        except ValueError:
            limit = DEFAULT_PAGE_SIZE
        limit = limit if limit in PAGE_SIZES else DEFAULT_PAGE_SIZE
        try:
            start = max(0, int(request.args.get("start", 0)))
        except ValueError:
            start = 0
        back = request.args.getlist("back")[-MAX_BACK:]
        return cls(filters, limit, request.args.get("cursor", "").strip(), back, start)

    def api_query(self) -> dict[str, Any]:
        return {**{k: v for k, v in self.filters.items() if v}, "limit": self.limit, "cursor": self.cursor}

    def kept(self) -> dict[str, Any]:
        """The filters given, and the page size when not the default: what links to other pages keep."""
        kept: dict[str, Any] = {name: value for name, value in self.filters.items() if value}
        if self.limit != DEFAULT_PAGE_SIZE:
            kept["limit"] = str(self.limit)
        return kept

    def pages(self, endpoint: str, shown: int, next_cursor: str | None, **path: Any) -> dict[str, str | None]:
        """Links to the first, previous and next pages (None where there is none)."""
        kept = self.kept()
        following = previous = first = None
        if next_cursor:
            following = url_for(
                endpoint,
                **path,
                **kept,
                cursor=next_cursor,
                back=[*self.back, self.cursor],
                start=self.start + shown,
            )
        if self.cursor:
            first = url_for(endpoint, **path, **kept)
            before = self.back[-1] if self.back else ""
            earlier: dict[str, Any] = {}
            if before:
                earlier = {"cursor": before, "back": self.back[:-1], "start": max(0, self.start - self.limit)}
            previous = url_for(endpoint, **path, **kept, **earlier)
        return {"first": first, "previous": previous, "next": following}


def days_around(day: str) -> tuple[str | None, str | None]:
    """The day before and the day after a ``YYYY-MM-DD`` day (None, None for what is not a day)."""
    try:
        date = dt.date.fromisoformat(day)
    except ValueError:
        return None, None
    return (date - dt.timedelta(days=1)).isoformat(), (date + dt.timedelta(days=1)).isoformat()


def field_errors(error: ApiError) -> dict[str, list[str]]:
    """A refused query's errors by the form's field (a cursor refused is the page's, not a field's)."""
    return dict(error.errors) or {"$": [error.message]}


def worklist_context(raw: str | None) -> dict[str, Any]:
    """The worklist a passenger page was opened from, from its ``list`` parameter (known filters only)."""
    return {name: value for name, value in parse_qsl(raw or "") if name in WORKLIST_FILTERS and value}


def encoded_context(filters: Mapping[str, str]) -> str:
    return urlencode({name: value for name, value in filters.items() if name in WORKLIST_FILTERS and value})
