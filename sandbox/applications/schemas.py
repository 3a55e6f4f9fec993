"""Marshmallow schemas derived from the section specs (shared by the portal's pages and, later, the API).

A draft schema checks what was typed (types, lengths, allowed choices) but lets anything be empty;
completeness is a separate check made at submission.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from flask_babel import lazy_gettext as _l
from marshmallow import RAISE, Schema, fields, validate

from sandbox.applications.sections import DEFAULT_MAX_LENGTH, SECTION_BY_KEY, FieldKind, FieldSpec, SectionSpec

PHONE_PATTERN = re.compile(r"^\+?[0-9 ()\-]{6,40}$")


def _marshmallow_field(spec: FieldSpec) -> fields.Field:
    options: dict[str, Any] = {"allow_none": True, "load_default": None}
    max_length = spec.max_length or DEFAULT_MAX_LENGTH.get(spec.kind)
    length = [validate.Length(max=max_length, error=str(_l("Must be %(max)d characters or fewer.",
                                                             max=max_length)))] if max_length else []
    values = [choice.value for choice in spec.choices]
    one_of = validate.OneOf(values, error=str(_l("Choose one of the options.")))
    match spec.kind:
        case FieldKind.TEXT | FieldKind.TEXTAREA:
            return fields.String(validate=length, **options)
        case FieldKind.EMAIL:
            return fields.Email(validate=length, error_messages={"invalid": str(_l(
                "Enter an email address in the correct format, like name@example.com"))}, **options)
        case FieldKind.URL:
            return fields.Url(validate=length, schemes={"https", "http"}, error_messages={"invalid": str(_l(
                "Enter a web address in the correct format, like https://www.example.com"))}, **options)
        case FieldKind.PHONE:
            return fields.String(validate=[validate.Regexp(PHONE_PATTERN, error=str(_l(
                "Enter a telephone number, like +852 2123 4567")))], **options)
        case FieldKind.INTEGER:
            between = _l("Enter a whole number between %(min)s and %(max)s.", min=spec.min_value, max=spec.max_value)
            return fields.Integer(strict=False, validate=validate.Range(
                min=spec.min_value, max=spec.max_value, error=str(between)),
                error_messages={"invalid": str(_l("Enter a whole number, like 12."))}, **options)
        case FieldKind.DATE:
            return fields.Date(error_messages={"invalid": str(_l("Enter a real date."))}, **options)
        case FieldKind.CHOICE:
            return fields.String(validate=one_of, **options)
        case FieldKind.YES_NO:
            return fields.String(validate=validate.OneOf(["yes", "no"], error=str(_l("Choose yes or no."))), **options)
        case FieldKind.MULTI:
            return fields.List(fields.String(validate=one_of), **options)
    raise ValueError(f"no schema field for kind {spec.kind}")


@cache
def draft_schema(section_key: str) -> Schema:
    section = SECTION_BY_KEY[section_key]
    schema_class = Schema.from_dict({spec.name: _marshmallow_field(spec) for spec in section.fields},
                                    name=f"Draft_{section_key.replace('-', '_')}")
    return schema_class(unknown=RAISE)


def is_asked(spec: FieldSpec, answers: dict[str, Any]) -> bool:
    """Whether a conditional question applies, given the section's other answers."""
    if spec.only_if is None:
        return True
    other, values = spec.only_if
    answer = answers.get(other)
    if isinstance(answer, list):
        return any(value in values for value in answer)
    return answer in values


def is_answered(value: Any) -> bool:
    return value not in (None, "", [])


def missing_answers(section: SectionSpec, answers: dict[str, Any]) -> list[FieldSpec]:
    """The required questions of a section that are asked and not yet answered."""
    return [spec for spec in section.fields
            if spec.required and is_asked(spec, answers) and not is_answered(answers.get(spec.name))]
