"""Marshmallow schemas of the review pages: the queue's URL, and (later) the staff API's views."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from marshmallow import RAISE, Schema, ValidationError, fields, post_load, pre_load, validate, validates_schema

from sandbox.applications.sections import SECTION_BY_KEY
from sandbox.reviews.queue import SORTS, QueueQuery
from sandbox.reviews.search import MAX_QUERY_LENGTH


def choice_labels(section: str, name: str) -> dict[str, str]:
    """{value: label} of a choice question of the application (sectors, risk classes)."""
    return {choice.value: choice.label for choice in SECTION_BY_KEY[section].fields_by_name[name].choices}


SECTOR_LABELS = choice_labels("organisation", "sector")
RISK_CLASS_LABELS = choice_labels("ai-system", "ai_act_risk_class")
SECTOR_VALUES = list(SECTOR_LABELS)
RISK_CLASS_VALUES = list(RISK_CLASS_LABELS)


class QueueArgsSchema(Schema):
    """The queue's filters, search, sort and page, as they appear in its URL (so a view can be bookmarked)."""

    class Meta:
        unknown = RAISE

    state = fields.String(load_default="open", validate=validate.Length(max=40))
    sector = fields.String(load_default=None, validate=validate.OneOf(SECTOR_VALUES, error=str(_l(
        "Choose a sector from the list."))))
    risk = fields.String(load_default=None, data_key="risk", validate=validate.OneOf(RISK_CLASS_VALUES, error=str(
        _l("Choose a risk class from the list."))))
    assignee = fields.String(load_default=None, validate=validate.Regexp(r"^(mine|unassigned|[0-9]{1,10})$", error=str(
        _l("Choose an assignee from the list."))))
    overdue = fields.Boolean(load_default=False, truthy={"1", "yes", "on", "true"}, falsy={"0", "no", "", "false"})
    submitted_from = fields.Date(load_default=None, error_messages={"invalid": str(_l(
        "Enter the 'submitted from' date as a real date, like 2026-03-27."))})
    submitted_to = fields.Date(load_default=None, error_messages={"invalid": str(_l(
        "Enter the 'submitted to' date as a real date, like 2026-03-27."))})
    q = fields.String(load_default="", validate=validate.Length(max=MAX_QUERY_LENGTH, error=str(_l(
        "Search for %(max)d characters or fewer.", max=MAX_QUERY_LENGTH))))
    sort = fields.String(load_default="deadline", validate=validate.OneOf(list(SORTS), error=str(_l(
        "Choose a column to sort by."))))
    dir = fields.String(load_default=None, validate=validate.OneOf(["asc", "desc"]))
    after = fields.String(load_default=None, validate=validate.Length(max=400))
    before = fields.String(load_default=None, validate=validate.Length(max=400))

    def __init__(self, states: list[str], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.states = states

    @pre_load
    def drop_empty(self, data: dict[str, Any], **_kwargs: Any) -> dict[str, Any]:
        """A filter form sends every field; an empty one means "any", as if it were left out."""
        return {key: value for key, value in data.items() if value not in ("", None)}

    @validates_schema
    def check(self, data: dict[str, Any], **_kwargs: Any) -> None:
        if data["state"] not in ("open", "all", *self.states):
            raise ValidationError(str(_l("Choose a status from the list.")), "state")
        start, end = data.get("submitted_from"), data.get("submitted_to")
        if start and end and start > end:
            raise ValidationError(str(_l("The 'submitted from' date must be on or before the 'submitted to' date.")),
                                  "submitted_from")

    @post_load
    def make_query(self, data: dict[str, Any], **_kwargs: Any) -> QueueQuery:
        direction = data.pop("dir")
        return QueueQuery(state=data["state"], sector=data["sector"], risk_class=data["risk"],
                          assignee=data["assignee"], overdue=data["overdue"], submitted_from=data["submitted_from"],
                          submitted_to=data["submitted_to"], search=data["q"].strip(), sort=data["sort"],
                          descending=None if direction is None else direction == "desc",
                          after=data["after"], before=data["before"])


def query_args(query: QueueQuery, **changes: Any) -> dict[str, str]:
    """The URL arguments of a view (defaults left out), with `changes` applied; None removes an argument."""
    args: dict[str, Any] = {
        "state": query.state if query.state != "open" else None, "sector": query.sector, "risk": query.risk_class,
        "assignee": query.assignee, "overdue": "1" if query.overdue else None,
        "submitted_from": query.submitted_from.isoformat() if query.submitted_from else None,
        "submitted_to": query.submitted_to.isoformat() if query.submitted_to else None,
        "q": query.search or None, "sort": query.sort if query.sort != "deadline" else None,
        "dir": None if query.descending is None else ("desc" if query.descending else "asc"),
    }
    args.update(changes)
    return {key: str(value) for key, value in args.items() if value is not None}
