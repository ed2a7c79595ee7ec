"""Schemas of what answers and views show of a journey joined from a flight's API and PNR."""

from __future__ import annotations

from marshmallow import Schema, fields

_SOURCE = {"enum": ["api", "pnr"]}


class JourneyFieldsSchema(Schema):
    """The ``journey.*`` fields of a joined record (docs/fields.md)."""

    has_api = fields.Boolean()
    has_pnr = fields.Boolean()
    matched_by = fields.String(metadata={"enum": ["document", "name_and_birth_date", "name"]})
    ambiguous_match = fields.String(metadata={"enum": ["document", "name_and_birth_date", "name"]})
    name_differs = fields.Boolean()
    document_differs = fields.Boolean()
    booked_not_boarded = fields.Boolean()
    boarded_not_booked = fields.Boolean()


class MessageJourneySchema(JourneyFieldsSchema):
    """A journey as a message's answer shows it: its fields, and its travellers' passenger ids in their messages."""

    api_passenger_id = fields.String(allow_none=True, metadata={"description": "In the PAXLST (null: not in it)"})
    pnr_passenger_id = fields.String(allow_none=True, metadata={"description": "In the PNRGOV (null: not in it)"})


class UnchangedJourneySchema(Schema):
    """A traveller of the message whose journey was not evaluated again: it is as last evaluated."""

    passenger_id = fields.String()
    decision_id = fields.String(metadata={"description": "The journey's last decision"})
    journey = fields.Nested(MessageJourneySchema)


class JourneySectionsSchema(Schema):
    """A decision's journey joined from a flight's API and PNR, by section (as priority lists show it)."""

    sections = fields.Dict(
        keys=fields.String(),
        values=fields.List(fields.String(metadata=_SOURCE)),
        metadata={"description": "For each section of the record, the messages that gave its fields"},
    )
    # Not named "fields", which would hide marshmallow's module below it.
    journey_fields = fields.Nested(
        JourneyFieldsSchema,
        attribute="fields",
        data_key="fields",
        metadata={"description": "The journey.* fields; empty once the record is purged"},
    )
    disagreements = fields.List(
        fields.String(),
        metadata={
            "description": "The journey fields that hold, of name_differs, document_differs, booked_not_boarded "
            "and boarded_not_booked"
        },
    )


class JourneyViewSchema(JourneySectionsSchema):
    """A decision's journey joined from a flight's API and PNR, field by field."""

    sources = fields.Dict(
        keys=fields.String(),
        values=fields.String(metadata=_SOURCE),
        metadata={"description": "For each field (section.name, or itinerary), the message that gave it"},
    )
