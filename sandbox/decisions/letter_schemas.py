"""Load schemas of the letter pages: the register's URL, a draft's free text, and a supervision letter's form."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from marshmallow import RAISE, Schema, ValidationError, fields, post_load, pre_load, validate, validates_schema

from sandbox.decisions.letter_content import KIND_LABELS
from sandbox.decisions.letter_data import LINE, PARAGRAPHS
from sandbox.decisions.letter_register import CURSOR, RegisterQuery
from sandbox.decisions.letters import LetterState
from sandbox.reviews.schemas_case import StrictSchema, join_date_parts, split_conditions

SUPERVISION_DATES = ("effective_on", "challenge_deadline_on", "ended_on")
MAX_LIST_ITEMS = 30


class RegisterArgsSchema(Schema):
    """The register's filters as its URL carries them; an empty field means "any"."""

    class Meta:
        unknown = RAISE

    kind = fields.String(load_default=None, validate=validate.OneOf(list(KIND_LABELS), error=str(_l(
        "Choose a kind of letter from the list."))))
    state = fields.String(load_default=None, validate=validate.OneOf([s.value for s in LetterState], error=str(_l(
        "Choose a state from the list."))))
    year = fields.Integer(load_default=None, strict=False, validate=validate.Range(min=2000, max=9999), error_messages={
        "invalid": str(_l("Enter the year as four digits, like 2026."))})
    reference = fields.String(load_default="", validate=validate.Length(max=20, error=str(_l(
        "Enter a case reference like SBX-2026-0042."))))
    issued_from = fields.Date(load_default=None, error_messages={"invalid": str(_l(
        "Enter the 'issued from' date as a real date, like 2026-03-27."))})
    issued_to = fields.Date(load_default=None, error_messages={"invalid": str(_l(
        "Enter the 'issued to' date as a real date, like 2026-03-27."))})
    after = fields.String(load_default=None, validate=validate.Regexp(CURSOR, error=str(_l(
        "This page of the register does not exist. Start again from the first page."))))

    @pre_load
    def drop_empty(self, data: dict[str, Any], **_kwargs: Any) -> dict[str, Any]:
        return {key: value.strip() for key, value in data.items() if value not in ("", None) and value.strip()}

    @post_load
    def to_query(self, data: dict[str, Any], **_kwargs: Any) -> RegisterQuery:
        return RegisterQuery(**data)


def register_args(query: RegisterQuery, **changes: Any) -> dict[str, Any]:
    """The URL arguments of `query` with `changes`, leaving out what is empty."""
    values = {"kind": query.kind, "state": query.state, "year": query.year, "reference": query.reference,
              "issued_from": query.issued_from, "issued_to": query.issued_to, "after": query.after, **changes}
    return {key: value.isoformat() if isinstance(value, date) else value for key, value in values.items()
            if value not in (None, "")}


class FreeTextSchema(StrictSchema):
    introduction = fields.String(load_default="", validate=validate.Length(max=PARAGRAPHS, error=_l(
        "Keep the introduction to %(count)d characters or fewer", count=PARAGRAPHS)))
    remarks = fields.String(load_default="", validate=validate.Length(max=PARAGRAPHS, error=_l(
        "Keep the remarks to %(count)d characters or fewer", count=PARAGRAPHS)))


class SupervisionLetterSchema(StrictSchema):
    """What staff write for a suspension, termination or exit letter (the rest comes from the case)."""

    reasons = fields.String(load_default="", validate=validate.Length(max=PARAGRAPHS, error=_l(
        "Keep the reasons to %(count)d characters or fewer", count=PARAGRAPHS)))
    effective_on = fields.Date(load_default=None, error_messages={"invalid": _l("Enter a real date")})
    challenge_deadline_on = fields.Date(load_default=None, error_messages={"invalid": _l("Enter a real date")})
    conditions = fields.String(load_default="")
    ended_on = fields.Date(load_default=None, error_messages={"invalid": _l("Enter a real date")})
    summary = fields.String(load_default="", validate=validate.Length(max=PARAGRAPHS, error=_l(
        "Keep the summary to %(count)d characters or fewer", count=PARAGRAPHS)))
    activities = fields.String(load_default="")

    def __init__(self, kind: str, today: date, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.kind, self.today = kind, today

    @pre_load
    def join_dates(self, data: dict[str, Any], **_kwargs: Any) -> dict[str, Any]:
        data = dict(data)
        for name in SUPERVISION_DATES:
            join_date_parts(data, name)
        return data

    @validates_schema
    def check(self, data: dict[str, Any], **_kwargs: Any) -> None:
        problems = supervision_problems(self.kind, data, self.today)
        if problems:
            raise ValidationError(problems)  # type: ignore[arg-type]

    @post_load
    def shape(self, data: dict[str, Any], **_kwargs: Any) -> dict[str, Any]:
        return {**data, "conditions": split_conditions(data["conditions"]),
                "activities": split_conditions(data["activities"])}


def supervision_problems(kind: str, data: dict[str, Any], today: date) -> dict[str, str]:
    problems: dict[str, str] = {}
    if kind in ("suspension", "termination"):
        if not data["reasons"]:
            problems["reasons"] = _("Give the reasons for the decision")
        if data["effective_on"] is None:
            problems["effective_on"] = _("Enter the date the decision takes effect")
        if data["challenge_deadline_on"] is None:
            problems["challenge_deadline_on"] = _("Enter the date by which the decision can be challenged")
        elif data["challenge_deadline_on"] <= today:
            problems["challenge_deadline_on"] = _("The date to challenge by must be in the future")
    if kind == "exit":
        if data["ended_on"] is None:
            problems["ended_on"] = _("Enter the date testing ended")
        if not data["summary"]:
            problems["summary"] = _("Summarise the testing carried out")
    for name in ("conditions", "activities"):
        items = split_conditions(data[name])
        if len(items) > MAX_LIST_ITEMS or any(len(item) > LINE for item in items):
            problems[name] = _("Write at most %(count)d lines of up to %(length)d characters each",
                               count=MAX_LIST_ITEMS, length=LINE)
    return problems
