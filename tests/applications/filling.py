"""Valid answers for every question, generated from the section specs (so tests follow the form as it grows)."""

from __future__ import annotations

from typing import Any

from sandbox.applications.sections import SECTIONS, FieldKind, FieldSpec, SectionSpec


def valid_value(spec: FieldSpec) -> Any:
    match spec.kind:
        case FieldKind.EMAIL:
            return "compliance@aurora.example"
        case FieldKind.PHONE:
            return "+852 2123 4567"
        case FieldKind.URL:
            return "https://www.aurora.example"
        case FieldKind.INTEGER:
            return spec.min_value if spec.min_value is not None else 1
        case FieldKind.DATE:
            return "2027-03-15"
        case FieldKind.CHOICE:
            return spec.choices[0].value
        case FieldKind.MULTI:
            return [spec.choices[0].value]
        case FieldKind.YES_NO:
            return "yes"
    return f"An answer to {spec.label}"[: spec.max_length or 300]


def section_answers(section: SectionSpec) -> dict[str, Any]:
    return {spec.name: valid_value(spec) for spec in section.fields}


def as_form(section: SectionSpec, answers: dict[str, Any]) -> dict[str, Any]:
    """What a browser posts for these answers (dates as three inputs, checkboxes as lists)."""
    form: dict[str, Any] = {}
    for spec in section.fields:
        value = answers.get(spec.name)
        if value is None:
            continue
        if spec.kind is FieldKind.DATE:
            year, month, day = value.split("-")
            form.update({f"{spec.name}-year": year, f"{spec.name}-month": month, f"{spec.name}-day": day})
        else:
            form[spec.name] = value
    return form


ALL_SECTIONS = SECTIONS
