"""Airline messages read into passenger records: UN/EDIFACT PAXLST (``messages.paxlst``) and PNRGOV
(``messages.pnrgov``) over what every EDIFACT message reader shares, written once: the lexical
layer (``edifact``), the envelope walk (``envelope``), problems (``problems``), flight legs and
their local times (``legs``), records (``records``), two-digit years (``dates``), country codes
(``countries``) and airports (``airports``). Pure: no web framework, database or network."""
