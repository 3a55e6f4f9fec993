"""The plain data a decision letter is rendered from: its schema, its rules by kind, and its content hash.

A letter is rendered only from this data (a dict of strings, numbers, lists and ISO dates), never from ORM
objects: `sandbox.decisions.rendering.render_letter` loads it through `LetterDataSchema` (unknown keys are
refused at every level) and renders the dump. Whoever drafts or issues a letter builds this dict from the
decision, the case and the configuration; the register stores it (it is also embedded in the PDF as
`decision.json`, the machine-readable twin of the letter).

Fields (dates are ISO strings, "2026-03-27"; every text is plain text, never HTML: it is escaped when rendered)

- `kind`: which letter, one of KINDS: "admission" (with its conditions), "rejection", "waitlist",
  "information_request", "suspension", "termination", "exit" (the written proof of testing activities).
- `language`: "en" (the only language letters exist in so far); set as the PDF's /Lang.
- `title`: the document title (PDF metadata and heading), e.g. "Decision on application SBX-2026-0042".
- `number`: the letter register's number, e.g. "SBX/L/2026/000123"; None while a draft.
- `issued_on`: the date of issue; None while a draft.
- `is_draft`: True until issued; a draft carries a DRAFT watermark and no number, date of issue or verification.
- `regulator`: {name, address_lines[], logo, website}: the letterhead, from SANDBOX_REGULATOR_* settings.
  `logo` is a path under the project's `static/` folder ("img/regulator-logo.svg"), never a URL.
- `addressee`: {organisation, contact_name (or None), address_lines[]}: who the letter goes to.
- `case`: {reference, system_name, system_version, sector, risk_class, submitted_on}: what it is about.
- `decision`: {outcome, decided_on, legal_basis, reasons[], effective_on}: the decision itself. `outcome` must
  fit the kind (OUTCOMES_BY_KIND); `reasons` are paragraphs (split the decision's text on blank lines),
  mandatory for rejection, suspension and termination; `effective_on` is when a suspension or termination
  takes effect (mandatory for those two, else None).
- `free_text`: {introduction, remarks}: the only parts a case officer may edit in the preview ("" when unused).
- `testing`: the permitted testing (mandatory for admission and exit, optional for suspension and termination,
  None otherwise): {scope, start_on, end_on, how_to_extend, limits {max_customers (int or None),
  customer_types[], max_exposure, volume}, safeguards[], relief[], relief_limits, reporting_obligations[],
  incident_deadline_hours, grounds_for_suspension[], exit_obligations[]}.
- `conditions[]`: the conditions imposed (admission), or what must happen before testing may resume (suspension).
- `challenge`: {how, deadline_on}: how and by when the decision can be challenged; mandatory for rejection,
  suspension and termination, else optional (None).
- `information_request`: {questions[] (at least one), due_on}: mandatory for kind "information_request", else None.
- `exit_record`: {ended_on, summary, activities[]}: what was tested, for the exit letter (mandatory there, else None).
- `confidentiality`: the confidentiality and publication statement (text).
- `case_officer`: {name, email (or None)}: whom to contact.
- `signatory`: {name, title}: who signs, from SANDBOX_SIGNATORY_NAME / SANDBOX_SIGNATORY_TITLE.
- `verification`: {number, content_sha256, url}: the verification line; None while a draft. `number` must equal
  the letter's number and `content_sha256` must equal `content_sha256(data)`; `url` is the public page
  (SANDBOX_PUBLIC_BASE_URL + "/verify/...").
- `supersedes`: {number, issued_on} of the letter this one corrects, or None.
- `checklist_annex[]`: rows {section, code, title, rating, note} printed as an annex (may be empty).

The hash printed on a letter is `content_sha256(data)`: the SHA-256 of the canonical JSON of this data without
`verification` and `is_draft`. A PDF cannot carry its own file's hash; the register stores that separately.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import date
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

KINDS = ("admission", "rejection", "waitlist", "information_request", "suspension", "termination", "exit")
LANGUAGES = ("en",)
OUTCOMES_BY_KIND: dict[str, tuple[str, ...]] = {
    "admission": ("admitted",),
    "rejection": ("rejected", "rejected_out_of_scope"),
    "waitlist": ("waitlisted",),
    "information_request": ("information_requested",),
    "suspension": ("suspended",),
    "termination": ("terminated",),
    "exit": ("exited",),
}
OUTCOMES = tuple(outcome for outcomes in OUTCOMES_BY_KIND.values() for outcome in outcomes)
KINDS_NEEDING_REASONS = ("rejection", "suspension", "termination")
KINDS_NEEDING_CHALLENGE = ("rejection", "suspension", "termination")
KINDS_NEEDING_TESTING = ("admission", "exit")
KINDS_NEEDING_EFFECTIVE_DATE = ("suspension", "termination")
UNHASHED_FIELDS = ("verification", "is_draft")

SHORT = 300  # a name, a reference, one address line
LINE = 2_000  # one condition, one reason, one question
PARAGRAPHS = 10_000  # the free-text parts
MANY = 200  # items in a list (conditions, questions, address lines)
STATIC_PATH = r"^(?!.*\.\.)[A-Za-z0-9_-][A-Za-z0-9_./-]*\.(svg|png|jpg)$"
LETTER_NUMBER = r"^[A-Za-z0-9][A-Za-z0-9/._-]*$"


def _text(max_length: int = SHORT, *, required: bool = True, **kwargs: Any) -> fields.String:
    if required:
        return fields.String(required=True, validate=validate.Length(min=1, max=max_length), **kwargs)
    return fields.String(load_default="", validate=validate.Length(max=max_length), **kwargs)


def _texts(max_length: int = LINE, *, min_items: int = 0) -> fields.List:
    return fields.List(fields.String(validate=validate.Length(min=1, max=max_length)), load_default=list,
                       validate=validate.Length(min=min_items, max=MANY))


def _nested(schema: type[Schema], *, required: bool = False) -> fields.Nested:
    if required:
        return fields.Nested(schema, required=True)
    return fields.Nested(schema, load_default=None, allow_none=True)


class _Strict(Schema):
    class Meta:
        unknown = RAISE


class RegulatorSchema(_Strict):
    name = _text()
    address_lines = _texts(SHORT)
    logo = fields.String(required=True, validate=validate.Regexp(STATIC_PATH, error=(
        "The logo must be a path under static/, like img/regulator-logo.svg (no URL, no '..').")))
    website = _text(required=False)


class AddresseeSchema(_Strict):
    organisation = _text()
    contact_name = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=SHORT))
    address_lines = _texts(SHORT)


class CaseSchema(_Strict):
    reference = _text()
    system_name = _text()
    system_version = _text(required=False)
    sector = _text(required=False)
    risk_class = _text(required=False)
    submitted_on = fields.Date(required=True)


class DecisionSchema(_Strict):
    outcome = fields.String(required=True, validate=validate.OneOf(OUTCOMES))
    decided_on = fields.Date(required=True)
    legal_basis = _text(LINE)
    reasons = _texts(PARAGRAPHS)
    effective_on = fields.Date(load_default=None, allow_none=True)


class FreeTextSchema(_Strict):
    introduction = _text(PARAGRAPHS, required=False)
    remarks = _text(PARAGRAPHS, required=False)


class LimitsSchema(_Strict):
    max_customers = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(min=0))
    customer_types = _texts(SHORT)
    max_exposure = _text(LINE, required=False)
    volume = _text(LINE, required=False)


class TestingSchema(_Strict):
    scope = _text(PARAGRAPHS)
    start_on = fields.Date(required=True)
    end_on = fields.Date(required=True)
    how_to_extend = _text(LINE, required=False)
    limits = _nested(LimitsSchema, required=True)
    safeguards = _texts()
    relief = _texts()
    relief_limits = _text(LINE, required=False)
    reporting_obligations = _texts()
    incident_deadline_hours = fields.Integer(required=True, validate=validate.Range(min=1, max=24 * 30))
    grounds_for_suspension = _texts()
    exit_obligations = _texts()

    @validates_schema
    def check_period(self, data: dict[str, Any], **_kwargs: Any) -> None:
        if data["start_on"] > data["end_on"]:
            raise ValidationError("Testing must end on or after the day it starts.", "end_on")


class ChallengeSchema(_Strict):
    how = _text(LINE)
    deadline_on = fields.Date(required=True)


class InformationRequestSchema(_Strict):
    questions = _texts(min_items=1)
    due_on = fields.Date(required=True)


class ExitRecordSchema(_Strict):
    ended_on = fields.Date(required=True)
    summary = _text(PARAGRAPHS)
    activities = _texts()


class PersonSchema(_Strict):
    name = _text()
    email = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=SHORT))


class SignatorySchema(_Strict):
    name = _text()
    title = _text()


class VerificationSchema(_Strict):
    number = fields.String(required=True, validate=validate.Regexp(LETTER_NUMBER))
    content_sha256 = fields.String(required=True, validate=validate.Regexp(r"^[0-9a-f]{64}$", error=(
        "The content hash must be 64 lower-case hexadecimal characters.")))
    url = fields.Url(required=True, schemes={"http", "https"}, require_tld=False)


class SupersedesSchema(_Strict):
    number = fields.String(required=True, validate=validate.Regexp(LETTER_NUMBER))
    issued_on = fields.Date(required=True)


class AnnexRowSchema(_Strict):
    section = _text(required=False)
    code = _text(required=False)
    title = _text(LINE)
    rating = _text(required=False)
    note = _text(LINE, required=False)


class LetterContentSchema(_Strict):
    """Everything a letter says; the hash covers exactly this (so not `is_draft` nor `verification`)."""

    kind = fields.String(required=True, validate=validate.OneOf(KINDS))
    language = fields.String(load_default="en", validate=validate.OneOf(LANGUAGES))
    title = _text()
    number = fields.String(load_default=None, allow_none=True, validate=validate.Regexp(LETTER_NUMBER))
    issued_on = fields.Date(load_default=None, allow_none=True)
    regulator = _nested(RegulatorSchema, required=True)
    addressee = _nested(AddresseeSchema, required=True)
    case = _nested(CaseSchema, required=True)
    decision = _nested(DecisionSchema, required=True)
    free_text = fields.Nested(FreeTextSchema, load_default=lambda: {"introduction": "", "remarks": ""})
    testing = _nested(TestingSchema)
    conditions = _texts()
    challenge = _nested(ChallengeSchema)
    information_request = _nested(InformationRequestSchema)
    exit_record = _nested(ExitRecordSchema)
    confidentiality = _text(PARAGRAPHS)
    case_officer = _nested(PersonSchema, required=True)
    signatory = _nested(SignatorySchema, required=True)
    supersedes = _nested(SupersedesSchema)
    checklist_annex = fields.List(fields.Nested(AnnexRowSchema), load_default=list,
                                  validate=validate.Length(max=1_000))

    @validates_schema
    def check_kind(self, data: dict[str, Any], **_kwargs: Any) -> None:
        """Each kind says what the law and DESIGN.md §6 require of it; refuse a letter that leaves it out."""
        errors = _kind_errors(data)
        if errors:
            raise ValidationError(errors)


class LetterDataSchema(LetterContentSchema):
    """The letter as rendered: its content, whether it is still a draft, and its verification line."""

    is_draft = fields.Boolean(required=True)
    verification = _nested(VerificationSchema)

    @validates_schema
    def check_issue(self, data: dict[str, Any], **_kwargs: Any) -> None:
        """A draft has no number, date or hash; an issued letter has all three, and its hash is its content's."""
        errors = _draft_errors(data) if data["is_draft"] else _issued_errors(data)
        if errors:
            raise ValidationError(errors)


def _kind_errors(data: dict[str, Any]) -> dict[str, list[str]]:
    kind, decision = data["kind"], data["decision"]
    errors: dict[str, list[str]] = {}
    if decision["outcome"] not in OUTCOMES_BY_KIND[kind]:
        errors.setdefault("decision", []).append(
            f"A {kind} letter carries the outcome {' or '.join(OUTCOMES_BY_KIND[kind])}, not {decision['outcome']!r}.")
    if kind in KINDS_NEEDING_REASONS and not decision["reasons"]:
        errors.setdefault("decision", []).append(f"A {kind} letter must give the reasons for the decision.")
    if kind in KINDS_NEEDING_EFFECTIVE_DATE and decision["effective_on"] is None:
        errors.setdefault("decision", []).append(
            f"A {kind} letter must say from when it takes effect (decision.effective_on).")
    if kind in KINDS_NEEDING_CHALLENGE and data["challenge"] is None:
        errors["challenge"] = [f"A {kind} letter must say how and by when the decision can be challenged."]
    if kind in KINDS_NEEDING_TESTING and data["testing"] is None:
        errors["testing"] = [f"A {kind} letter must set out the testing (scope, period, limits, obligations)."]
    if (kind == "information_request") != (data["information_request"] is not None):
        errors["information_request"] = ["Only a request for information carries questions and a due date, "
                                          "and it must."]
    if (kind == "exit") != (data["exit_record"] is not None):
        errors["exit_record"] = ["Only an exit letter carries the record of testing activities, and it must."]
    if data["challenge"] is not None and data["challenge"]["deadline_on"] <= decision["decided_on"]:
        errors["challenge"] = ["The deadline to challenge must come after the decision."]
    return errors


def _draft_errors(data: dict[str, Any]) -> dict[str, list[str]]:
    return {name: ["A draft has no " + name.replace("_", " ") + " until it is issued."]
            for name in ("number", "issued_on", "verification") if data[name] is not None}


def _issued_errors(data: dict[str, Any]) -> dict[str, list[str]]:
    missing = [name for name in ("number", "issued_on", "verification") if data[name] is None]
    if missing:
        return {name: ["An issued letter must have its " + name.replace("_", " ") + "."] for name in missing}
    if data["issued_on"] < data["decision"]["decided_on"]:
        return {"issued_on": ["A letter cannot be issued before the decision it carries."]}
    verification = data["verification"]
    if verification["number"] != data["number"]:
        return {"verification": ["The verification line must carry the letter's own number."]}
    if verification["content_sha256"] != _hash_loaded(data):
        return {"verification": ["The content hash does not match the letter's content (use content_sha256)."]}
    return {}


def _canonical(value: Any) -> bytes:
    """Sorted keys, no whitespace, UTF-8: the same bytes for the same content wherever it is computed."""
    def encode(item: Any) -> str:
        if isinstance(item, date):
            return item.isoformat()
        raise TypeError(f"{type(item).__name__} is not plain letter data.")
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=encode).encode()


def _hash_loaded(loaded: Mapping[str, Any]) -> str:
    content = {key: value for key, value in loaded.items() if key not in UNHASHED_FIELDS}
    return hashlib.sha256(_canonical(LetterContentSchema().dump(content))).hexdigest()


def content_sha256(data: Mapping[str, Any]) -> str:
    """The hash printed on the letter: its content normalised by the schema (defaults filled), canonical JSON.

    Accepts the letter's data with or without `verification` and `is_draft` (both are left out of the hash).
    Raises marshmallow.ValidationError if the content is not a valid letter.
    """
    content = {key: value for key, value in data.items() if key not in UNHASHED_FIELDS}
    return _hash_loaded(LetterContentSchema().load(content))


def dump_letter_data(data: Mapping[str, Any]) -> dict[str, Any]:
    """Validate and normalise: what is rendered, embedded and stored (plain JSON types, ISO dates)."""
    schema = LetterDataSchema()
    return schema.dump(schema.load(dict(data)))
