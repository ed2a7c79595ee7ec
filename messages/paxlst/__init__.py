"""UN/EDIFACT PAXLST (Advance Passenger Information) messages read into passenger records.

Airlines send the passengers and crew of a flight as a PAXLST message (directories D:02B
and D:05B are the common ones). ``read_paxlst`` turns one interchange into a manifest:
one record per passenger or crew member in the catalogue's JSON shape, each accepted by
``engine.check_record``, plus every problem found on the way, each tied to the segment
it was found in::

    result = read_paxlst(text)
    for record in result.manifest: ...          # ready for evaluation
    for problem in result.problems: ...         # warnings and errors, in segment order

Tokenizing (service string advice, separators, release character) is pydifact's, and the
envelope walk is every reader's (``messages.envelope``); this package adds the PAXLST
meaning of the segments. It is pure: no web framework, database or network.

Problem messages never carry names, document numbers or dates of birth; the segment
text, which may, is kept in its own field so callers can choose not to log it.
"""

from messages.paxlst.problems import PaxlstError, PaxlstProblem, PaxlstResult
from messages.paxlst.reader import read_paxlst
from messages.problems import ERROR, WARNING

__all__ = ["ERROR", "WARNING", "PaxlstError", "PaxlstProblem", "PaxlstResult", "read_paxlst"]
