"""What the officer's checklist forms post: a rating with its note (the rules themselves are rate_item's)."""

from __future__ import annotations

from marshmallow import fields

from sandbox.reviews.schemas_case import StrictSchema


class RatingSchema(StrictSchema):
    rating = fields.String(load_default="")
    note = fields.String(load_default="")
    next = fields.String(load_default="")  # "1": go on to the next item not rated yet
