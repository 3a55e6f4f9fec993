"""What the checklist forms post (load schemas, unknown fields refused) and what an applicant may see of an item
(a dump schema that names every field it lets out, so a new column never reaches the applicant by default).

Load schemas key their messages by the form's field ids, so a page can show each message beside its field.
The template rules themselves (item_problems, save_draft_item) check the same things again for other callers.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from marshmallow import Schema, ValidationError, fields, post_load, validate, validates_schema

from sandbox.checklists.models import EvidenceRequired
from sandbox.checklists.operations import MAX_EVIDENCE_LINKS, MAX_STATEMENT_LENGTH
from sandbox.checklists.templates import TEXT_LIMITS
from sandbox.reviews.schemas_case import StrictSchema

MAX_GUIDANCE_LENGTH = 5_000
MAX_CITATION_LENGTH = 200
PROVISION_SLOTS = 10  # rows the item form may post; it shows at least three, and one spare below the last used
NEW_SECTION = "new"
ITEM_CODE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]*$"
SECTION_CODE_PATTERN = r"^[a-z0-9][a-z0-9_-]*$"


def _required(message: str) -> dict[str, str]:
    return {"required": message, "null": message, "invalid": message}


def _text(required: str, limit: int, too_long: str) -> fields.String:
    return fields.String(required=True, error_messages=_required(required),
                         validate=[validate.Length(min=1, error=required), validate.Length(max=limit, error=too_long)])


def _optional_text(limit: int, too_long: str, **kwargs: Any) -> fields.String:
    return fields.String(load_default="", validate=[validate.Length(max=limit, error=too_long)], **kwargs)


class _TemplateItemForm(StrictSchema):
    code = fields.String(required=True, error_messages=_required(_l("Enter the item's code, like GOV-05")), validate=[
        validate.Length(min=1, error=_l("Enter the item's code, like GOV-05")),
        validate.Length(max=TEXT_LIMITS["code"], error=_l("Keep the code to %(count)d characters or fewer",
                                                          count=TEXT_LIMITS["code"])),
        validate.Regexp(ITEM_CODE_PATTERN, error=_l("Use letters, digits, dots and hyphens only in the code, "
                                                    "like GOV-05"))])
    title = _text(_l("Enter the item's title"), TEXT_LIMITS["title"],
                  _l("Keep the title to %(count)d characters or fewer", count=TEXT_LIMITS["title"]))
    outcome = _text(_l("Say what outcome is expected"), MAX_GUIDANCE_LENGTH,
                    _l("Keep the outcome to %(count)d characters or fewer", count=MAX_GUIDANCE_LENGTH))
    process = _text(_l("Say what process achieves the outcome"), MAX_GUIDANCE_LENGTH,
                    _l("Keep the process to %(count)d characters or fewer", count=MAX_GUIDANCE_LENGTH))
    evidence = _text(_l("Say what evidence the case officer will look for"), MAX_GUIDANCE_LENGTH,
                     _l("Keep the evidence to %(count)d characters or fewer", count=MAX_GUIDANCE_LENGTH))
    mandatory = fields.String(required=True, error_messages=_required(_l("Say whether the item is mandatory")),
                              validate=validate.OneOf(["yes", "no"], error=_l("Say whether the item is mandatory")))
    evidence_required = fields.String(
        required=True, error_messages=_required(_l("Choose what evidence is required")),
        validate=validate.OneOf([kind.value for kind in EvidenceRequired],
                                error=_l("Choose a document, a note or both")))
    section = fields.String(required=True, error_messages=_required(_l("Choose the section the item belongs to")))
    new_section_code = _optional_text(TEXT_LIMITS["section_code"], _l(
        "Keep the section code to %(count)d characters or fewer", count=TEXT_LIMITS["section_code"]))
    new_section_title = _optional_text(TEXT_LIMITS["section_title"], _l(
        "Keep the section title to %(count)d characters or fewer", count=TEXT_LIMITS["section_title"]))

    def __init__(self, regimes: Mapping[str, str], sections: Mapping[str, str], taken_codes: set[str],
                 **kwargs: Any) -> None:
        """`regimes` and `sections` ({code: title}) are the draft's; `taken_codes` are its other items' codes."""
        super().__init__(**kwargs)
        self.regimes, self.sections, self.taken_codes = regimes, sections, taken_codes

    @validates_schema(skip_on_field_errors=False)
    def check(self, data: dict[str, Any], **_kwargs: Any) -> None:
        errors = {**self._section_errors(data), **provision_errors(data, self.regimes)}
        if data.get("code") in self.taken_codes:
            errors["code"] = _("Another item of this draft already has the code %(code)s", code=data["code"])
        if errors:
            raise ValidationError(errors)  # type: ignore[arg-type]

    def _section_errors(self, data: Mapping[str, Any]) -> dict[str, str]:
        section = data.get("section")
        if section is None:
            return {}
        if section != NEW_SECTION:
            return {} if section in self.sections else {"section": _("Choose a section from the list")}
        code, title = data.get("new_section_code", ""), data.get("new_section_title", "")
        errors = {}
        if not code:
            errors["new_section_code"] = _("Enter a code for the new section, like model_risk")
        elif code in self.sections:
            errors["new_section_code"] = _("There is already a section with the code %(code)s: choose it from "
                                           "the list instead", code=code)
        elif not re.fullmatch(SECTION_CODE_PATTERN, code):
            errors["new_section_code"] = _("Use lower-case letters, digits, hyphens and underscores only in the "
                                           "section code, like model_risk")
        if not title:
            errors["new_section_title"] = _("Enter a title for the new section")
        return errors

    @post_load
    def shape(self, data: dict[str, Any], **_kwargs: Any) -> dict[str, Any]:
        """The values save_draft_item takes."""
        if data["section"] == NEW_SECTION:
            section_code, section_title = data["new_section_code"], data["new_section_title"]
        else:
            section_code, section_title = data["section"], self.sections[data["section"]]
        return {"section_code": section_code, "section_title": section_title, "code": data["code"],
                "title": data["title"], "outcome": data["outcome"], "process": data["process"],
                "evidence": data["evidence"], "mandatory": data["mandatory"] == "yes",
                "evidence_required": data["evidence_required"], "provisions": provisions_from(data)}


def provision_errors(data: Mapping[str, Any], regimes: Mapping[str, str]) -> dict[str, str]:
    """Each half-filled row's missing half, an unknown regime, a row given twice, or no provision at all."""
    errors: dict[str, str] = {}
    seen: set[tuple[str, str]] = set()
    for slot in range(1, PROVISION_SLOTS + 1):
        regime, citation = data.get(f"provision-{slot}-regime", ""), data.get(f"provision-{slot}-citation", "")
        if not regime and not citation:
            continue
        if not regime:
            errors[f"provision-{slot}-regime"] = _("Choose the regime of provision %(n)d", n=slot)
        elif regime not in regimes:
            errors[f"provision-{slot}-regime"] = _("Choose the regime of provision %(n)d from the list", n=slot)
        if not citation:
            errors[f"provision-{slot}-citation"] = _("Enter the citation of provision %(n)d, like Art. 9", n=slot)
        elif (regime, citation) in seen:
            errors[f"provision-{slot}-citation"] = _("Provision %(n)d is already listed above", n=slot)
        seen.add((regime, citation))
    if not seen:
        errors["provision-1-regime"] = _("Cite at least one provision: choose its regime and enter the citation")
    return errors


def provisions_from(data: Mapping[str, Any]) -> list[dict[str, str]]:
    rows = ((data.get(f"provision-{slot}-regime", ""), data.get(f"provision-{slot}-citation", ""))
            for slot in range(1, PROVISION_SLOTS + 1))
    return [{"regime": regime, "citation": citation} for regime, citation in rows if regime and citation]


# The provision rows as fields of their own (blank rows are ignored), so the form works without JavaScript.
TemplateItemSchema = type("TemplateItemSchema", (_TemplateItemForm,), {
    **{f"provision-{slot}-regime": fields.String(load_default="") for slot in range(1, PROVISION_SLOTS + 1)},
    **{f"provision-{slot}-citation": _optional_text(MAX_CITATION_LENGTH, _l(
        "Keep each citation to %(count)d characters or fewer", count=MAX_CITATION_LENGTH))
       for slot in range(1, PROVISION_SLOTS + 1)}})


class PublishSchema(StrictSchema):
    version_label = _text(_l("Give the version a label, for example 2027.1"), 40,
                          _l("Keep the label to 40 characters or fewer"))


class StartDraftSchema(StrictSchema):
    code = _text(_l("Choose the checklist to change"), 80, _l("Choose the checklist to change"))


class MoveCaseSchema(StrictSchema):
    reference = _text(_l("Enter the case reference, like SBX-2026-0042"), 20,
                      _l("Enter the case reference, like SBX-2026-0042"))
    template = fields.Integer(required=True, strict=False,
                              error_messages=_required(_l("Choose the version to move the case to")))

    @post_load
    def tidy(self, data: dict[str, Any], **_kwargs: Any) -> dict[str, Any]:
        return {**data, "reference": data["reference"].upper()}


class StatementSchema(StrictSchema):
    """The applicant's self-assessment of one item; `documents` is a list (one value per ticked box)."""

    statement = fields.String(load_default="", validate=validate.Length(max=MAX_STATEMENT_LENGTH, error=_l(
        "Keep the statement to %(count)d characters or fewer", count=MAX_STATEMENT_LENGTH)))
    documents = fields.List(fields.Integer(strict=False, error_messages=_required(_l(
        "Choose documents from the list"))), load_default=list, validate=validate.Length(
        max=MAX_EVIDENCE_LINKS, error=_l("Link at most %(count)d documents to one item", count=MAX_EVIDENCE_LINKS)))


class ApplicantItemSchema(Schema):
    """What the applicant's pages may show of a case item. Ratings, rating notes, raters and the rating history
    are the regulator's own working and are not listed here, so they can never reach an applicant's page."""

    id = fields.Integer()
    version = fields.Integer()
    section_code = fields.String()
    section_title = fields.String()
    code = fields.String()
    title = fields.String()
    outcome = fields.String()
    process = fields.String()
    evidence = fields.String()
    mandatory = fields.Boolean()
    evidence_required = fields.String()
    provisions = fields.List(fields.Dict(keys=fields.String(), values=fields.String()))
    statement = fields.String(allow_none=True)
    document_ids = fields.Method("linked_documents")

    def linked_documents(self, item: Any) -> list[int]:
        return [link.document_id for link in item.evidence_links]
