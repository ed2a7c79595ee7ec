"""The one paging convention of every list that pages (worklist, audit log, identity views, hits, watchlist).

A page answers with a ``Link: <...>; rel="next"`` header (RFC 8288) while there is a next page:
the same request with the query parameter that pages on set for the next page (``cursor``,
``after``, ``before`` or ``offset``, as each list documents). The body carries the same value
(``next_cursor``, ``next_after``, ``next_before``), so a client may follow either; the last page
has no ``Link`` header (the audit log and hits, which do not count, link from a full last page to an
empty one). ``limit`` sets the page size.
"""

from __future__ import annotations

from urllib.parse import urlencode

from flask import Response, after_this_request, request


def next_page(**changes: object) -> None:
    """Send ``Link: rel="next"``: this request's path and query with ``changes`` made to the query."""
    query = request.args.to_dict(flat=False)
    for name, value in changes.items():
        query[name] = [str(value)]
    link = f'<{request.path}?{urlencode(query, doseq=True)}>; rel="next"'

    @after_this_request
    def _linked(response: Response) -> Response:
        if response.status_code == 200:
            response.headers["Link"] = link
        return response
