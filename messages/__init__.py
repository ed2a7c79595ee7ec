"""Airline messages read into passenger records: UN/EDIFACT PAXLST (``messages.paxlst``) over a
shared EDIFACT lexical layer (``messages.edifact``). Pure: no web framework, database or network."""
