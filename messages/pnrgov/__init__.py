"""UN/EDIFACT PNRGOV (PNR data pushed to states) messages read into passenger records.

Airlines push the bookings (PNRs) of a flight as a PNRGOV message (versions 10.1, 11.1 and
13.1), often hundreds of PNRs in one message. ``read_pnrgov`` turns one interchange into a
manifest: one record per traveller (TIF) of each PNR in the catalogue's JSON shape, each
accepted by ``engine.check_record``, plus every problem found on the way, each tied to the
segment it was found in::

    result = read_pnrgov(text, hash_key=key)
    for record in result.manifest: ...          # ready for evaluation
    for problem in result.problems: ...         # warnings and errors, in segment order

E-mail addresses, telephone and card numbers are never kept in clear: only as keyed hashes
(HMAC-SHA256 under ``hash_key``; ``messages.pnrgov.contacts``), so rules can still link
bookings that share one. Untidy feeds are read where their meaning is clear (a damaged UNA,
separators found from the segments, typographic apostrophes, text around segments), each
repair reported. Tokenizing is pydifact's (``messages.edifact``). Pure: no web framework,
database or network.

Problem messages never carry names, document numbers, dates of birth or contacts; the
segment text, which may hold names, is kept in its own field (withheld for segments that
may hold contacts or cards) so callers can choose not to log it.
"""

from messages.pnrgov.problems import PnrgovError, PnrgovProblem, PnrgovResult
from messages.pnrgov.reader import read_pnrgov
from messages.problems import ERROR, WARNING

__all__ = ["ERROR", "WARNING", "PnrgovError", "PnrgovProblem", "PnrgovResult", "read_pnrgov"]
