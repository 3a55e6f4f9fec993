"""Load schemas of the case view's forms, and the rules a recommendation or a decision must meet.

The schemas turn a posted form into typed values (field errors keyed by the form's field ids). The rules
(`recommendation_problems`, `decision_problems`) are plain functions, so the domain checks the same
things again when it is called from elsewhere (the API, the CLI) and the messages are the same.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from marshmallow import RAISE, Schema, ValidationError, fields, post_load, pre_load, validate, validates_schema

from sandbox.core.errors import DomainError
from sandbox.reviews.models import EligibilityRating, RecommendedOutcome

MAX_BODY_LENGTH = 10_000
MAX_REASON_LENGTH = 2_000
MAX_NOTE_LENGTH = 4_000
MAX_CONDITIONS = 30
MAX_CONDITION_LENGTH = 2_000
QUESTION_SLOTS = 6
MAX_QUESTION_LENGTH = 4_000
DATE_FIELDS = ("start_on", "end_on")
LIMIT_FIELDS = ("max_customers", "max_exposure")
PARAMETER_FIELDS = ("start_on", "end_on", "max_customers", "customer_types", "max_exposure")
REASONS_REQUIRED = frozenset({"reject", "send_back", "reject_out_of_scope"})


class InvalidInput(DomainError):
    """What was sent does not meet the rules; `errors` maps form field ids to messages."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(" ".join(errors.values()))
        self.errors = errors


def _required(message: str) -> dict[str, str]:
    return {"required": message, "null": message, "invalid": message}


def _text(field_name: str, required: str, too_long: str, limit: int) -> fields.String:
    return fields.String(required=True, data_key=field_name, error_messages=_required(required),
                         validate=[validate.Length(min=1, error=required), validate.Length(max=limit, error=too_long)])


def _strip(data: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value.strip() if isinstance(value, str) else value for key, value in data.items()}


def join_date_parts(data: dict[str, Any], name: str) -> None:
    """GOV.UK date inputs post day, month and year apart; an empty trio is no date."""
    parts = [str(data.pop(f"{name}-{part}", "") or "").strip() for part in ("year", "month", "day")]
    if any(parts):
        year, month, day = parts
        data[name] = f"{year.zfill(4)}-{month.zfill(2)}-{day.zfill(2)}"


class StrictSchema(Schema):
    class Meta:
        unknown = RAISE

    @pre_load
    def strip_text(self, data: Mapping[str, Any], **_kwargs: Any) -> dict[str, Any]:
        return _strip(data)


class NoteSchema(StrictSchema):
    body = _text("body", _l("Write the note"), _l("Keep the note to %(count)d characters or fewer",
                                                   count=MAX_BODY_LENGTH), MAX_BODY_LENGTH)


class MessageSchema(StrictSchema):
    body = _text("body", _l("Write your message"), _l("Keep the message to %(count)d characters or fewer",
                                                     count=MAX_BODY_LENGTH), MAX_BODY_LENGTH)


NO_CONFLICT_UNCONFIRMED = _l("Confirm that you have no conflict of interest")


class DeclarationSchema(StrictSchema):
    confirm = fields.String(required=True, validate=validate.Equal("yes", error=NO_CONFLICT_UNCONFIRMED),
                            error_messages=_required(NO_CONFLICT_UNCONFIRMED))


class ConflictSchema(StrictSchema):
    reason = _text("reason", _l("Say what the conflict of interest is"),
                   _l("Keep the reason to %(count)d characters or fewer", count=MAX_REASON_LENGTH), MAX_REASON_LENGTH)


class AssignSchema(StrictSchema):
    role = fields.String(required=True, validate=validate.OneOf(["case_officer", "decision_maker"]))
    assignee = fields.Integer(required=True, strict=False, error_messages=_required(_l("Choose who to assign")))
    declares_no_conflict = fields.String(load_default=None, validate=validate.Equal(
        "yes", error=NO_CONFLICT_UNCONFIRMED))


class TransitionSchema(StrictSchema):
    action = fields.String(required=True, validate=validate.Length(min=1, max=40))
    reasons = fields.String(load_default="", validate=validate.Length(
        max=MAX_BODY_LENGTH, error=_l("Keep the reasons to %(count)d characters or fewer", count=MAX_BODY_LENGTH)))


def eligibility_schema(criteria: Mapping[str, Any]) -> StrictSchema:
    """One rating (radios) and one note (textarea) per criterion (key: label); criteria left blank are not changed."""
    ratings = [rating.value for rating in EligibilityRating]
    declared: dict[str, fields.Field] = {}
    for key in criteria:
        declared[f"rating-{key}"] = fields.String(load_default=None, validate=validate.OneOf(
            ratings, error=_l("Choose met, partly met or not met")))
        declared[f"note-{key}"] = fields.String(load_default="", validate=validate.Length(
            max=MAX_NOTE_LENGTH, error=_l("Keep the note to %(count)d characters or fewer", count=MAX_NOTE_LENGTH)))

    class EligibilitySchema(StrictSchema):
        @validates_schema
        def check(self, data: dict[str, Any], **_kwargs: Any) -> None:
            errors = {}
            for key, label in criteria.items():
                rating, note = data.get(f"rating-{key}"), data.get(f"note-{key}")
                if rating and not note:
                    errors[f"note-{key}"] = _("Explain your rating of %(criterion)s", criterion=str(label).lower())
                elif note and not rating:
                    errors[f"rating-{key}"] = _("Rate %(criterion)s as met, partly met or not met",
                                                criterion=str(label).lower())
            if not errors and not any(data.get(f"rating-{key}") for key in criteria):
                errors[f"rating-{next(iter(criteria))}"] = _("Score at least one criterion")
            if errors:
                raise ValidationError(errors)  # type: ignore[arg-type]

        @post_load
        def by_criterion(self, data: dict[str, Any], **_kwargs: Any) -> dict[str, Any]:
            return {"scores": {key: (data[f"rating-{key}"], data[f"note-{key}"]) for key in criteria
                               if data.get(f"rating-{key}")}}

    return type("EligibilityForm", (EligibilitySchema,), declared)()  # type: ignore[return-value]


class _InformationRequestForm(StrictSchema):
    due_on = fields.Date(required=True, error_messages=_required(_l("Enter the due date as a real date")))

    def __init__(self, today: date, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.today = today

    @pre_load
    def join_dates(self, data: dict[str, Any], **_kwargs: Any) -> dict[str, Any]:
        data = dict(data)
        join_date_parts(data, "due_on")
        return data

    @validates_schema
    def check(self, data: dict[str, Any], **_kwargs: Any) -> None:
        if not any(data.get(f"question-{slot}") for slot in range(1, QUESTION_SLOTS + 1)):
            raise ValidationError(_("Write at least one question"), "question-1")
        if data["due_on"] <= self.today:
            raise ValidationError(_("The due date must be in the future"), "due_on")

    @post_load
    def questions(self, data: dict[str, Any], **_kwargs: Any) -> dict[str, Any]:
        texts = [data.get(f"question-{slot}") for slot in range(1, QUESTION_SLOTS + 1)]
        return {"questions": [text for text in texts if text], "due_on": data["due_on"]}


# Several typed questions: a fixed number of boxes (blank ones are ignored), so the form works without JavaScript.
InformationRequestSchema = type("InformationRequestSchema", (_InformationRequestForm,), {
    f"question-{slot}": fields.String(load_default="", validate=validate.Length(
        max=MAX_QUESTION_LENGTH, error=_l("Keep each question to %(count)d characters or fewer",
                                          count=MAX_QUESTION_LENGTH)))
    for slot in range(1, QUESTION_SLOTS + 1)})


def split_conditions(text: str) -> list[str]:
    """One condition per line; blank lines and list markers people type are dropped."""
    lines = (line.strip().lstrip("-•*").strip() for line in (text or "").splitlines())
    return [line for line in lines if line]


class OutcomeSchema(StrictSchema):
    """What a recommendation and a decision share: the outcome, reasons, conditions and test parameters."""

    outcome = fields.String(required=True, error_messages=_required(_l("Choose an outcome")))
    reasons = fields.String(load_default="", validate=validate.Length(
        max=MAX_BODY_LENGTH, error=_l("Keep the reasons to %(count)d characters or fewer", count=MAX_BODY_LENGTH)))
    conditions = fields.String(load_default="")
    start_on = fields.Date(load_default=None, error_messages={"invalid": _l("Enter the start date as a real date")})
    end_on = fields.Date(load_default=None, error_messages={"invalid": _l("Enter the end date as a real date")})
    max_customers = fields.Integer(load_default=None, strict=False, error_messages={
        "invalid": _l("Enter the most customers as a whole number, like 500")})
    customer_types = fields.String(load_default="", validate=validate.Length(
        max=500, error=_l("Keep the customer types to 500 characters or fewer")))
    max_exposure = fields.Integer(load_default=None, strict=False, error_messages={
        "invalid": _l("Enter the exposure limit as a whole number of Hong Kong dollars, like 2000000")})

    def __init__(self, outcomes: list[str], today: date, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.outcomes, self.today = outcomes, today

    @pre_load
    def tidy(self, data: dict[str, Any], **_kwargs: Any) -> dict[str, Any]:
        data = dict(data)
        for name in DATE_FIELDS:
            join_date_parts(data, name)
        for name in LIMIT_FIELDS:
            if isinstance(data.get(name), str):
                data[name] = data[name].replace(",", "").replace(" ", "") or None
        return data

    @validates_schema
    def check(self, data: dict[str, Any], **_kwargs: Any) -> None:
        if data["outcome"] not in self.outcomes:
            raise ValidationError(_("Choose an outcome"), "outcome")
        problems = self.problems(data)
        if problems:
            raise ValidationError(problems)  # type: ignore[arg-type]

    def problems(self, data: dict[str, Any]) -> dict[str, str]:
        raise NotImplementedError

    @post_load
    def shape(self, data: dict[str, Any], **_kwargs: Any) -> dict[str, Any]:
        return {"outcome": data["outcome"], "reasons": data["reasons"],
                "conditions": split_conditions(data["conditions"]), "test_parameters": parameters_from(data)}


class RecommendationSchema(OutcomeSchema):
    def __init__(self, today: date, **kwargs: Any) -> None:
        super().__init__([outcome.value for outcome in RecommendedOutcome], today, **kwargs)

    def problems(self, data: dict[str, Any]) -> dict[str, str]:
        return recommendation_problems(data["outcome"], data["reasons"], split_conditions(data["conditions"]),
                                       parameters_from(data), self.today)


class DecisionSchema(OutcomeSchema):
    def problems(self, data: dict[str, Any]) -> dict[str, str]:
        return decision_problems(data["outcome"], data["reasons"], split_conditions(data["conditions"]),
                                 parameters_from(data), self.today)


def parameters_from(data: Mapping[str, Any]) -> dict[str, Any]:
    """The test parameters given (blank ones left out); dates stay dates."""
    return {name: data[name] for name in PARAMETER_FIELDS if data.get(name) not in (None, "")}


def stored_parameters(parameters: Mapping[str, Any]) -> dict[str, Any]:
    """As kept in JSON: dates as ISO strings."""
    return {name: value.isoformat() if isinstance(value, date) else value for name, value in parameters.items()}


def loaded_parameters(stored: Mapping[str, Any]) -> dict[str, Any]:
    """Back from JSON: ISO strings as dates again."""
    return {name: date.fromisoformat(value) if name in DATE_FIELDS and isinstance(value, str) else value
            for name, value in stored.items()}


def test_parameter_problems(parameters: Mapping[str, Any], today: date) -> dict[str, str]:
    problems = {}
    start, end = parameters.get("start_on"), parameters.get("end_on")
    if start is None:
        problems["start_on"] = _("Enter the date testing may start")
    elif start <= today:
        problems["start_on"] = _("The start date must be in the future")
    if end is None:
        problems["end_on"] = _("Enter the date testing must end by")
    elif start is not None and end <= start:
        problems["end_on"] = _("The end date must be after the start date")
    if parameters.get("max_customers") is not None and parameters["max_customers"] < 1:
        problems["max_customers"] = _("The most customers must be 1 or more")
    if parameters.get("max_exposure") is not None and parameters["max_exposure"] < 1:
        problems["max_exposure"] = _("The exposure limit must be more than 0")
    return problems


def _admission_problems(conditions: list[str], parameters: Mapping[str, Any], today: date) -> dict[str, str]:
    problems = {}
    if not conditions:
        problems["conditions"] = _("Add at least one condition of admission, one per line")
    elif len(conditions) > MAX_CONDITIONS or any(len(c) > MAX_CONDITION_LENGTH for c in conditions):
        problems["conditions"] = _("Give at most %(count)d conditions of up to %(length)d characters each",
                                   count=MAX_CONDITIONS, length=MAX_CONDITION_LENGTH)
    return {**problems, **test_parameter_problems(parameters, today)}


def recommendation_problems(outcome: str, reasons: str, conditions: list[str], parameters: Mapping[str, Any],
                            today: date) -> dict[str, str]:
    problems = {} if (reasons or "").strip() else {"reasons": _("Give the reasons for your recommendation")}
    if outcome == RecommendedOutcome.ADMIT:
        problems.update(_admission_problems(conditions, parameters, today))
    return problems


def decision_problems(action: str, reasons: str, conditions: list[str], parameters: Mapping[str, Any],
                      today: date) -> dict[str, str]:
    problems = {}
    if action in REASONS_REQUIRED and not (reasons or "").strip():
        problems["reasons"] = (_("Say why you are sending the case back to assessment") if action == "send_back"
                               else _("Give the reasons for rejecting the application"))
    if action == "admit":
        problems.update(_admission_problems(conditions, parameters, today))
    return problems
