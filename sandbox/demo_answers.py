"""Complete, valid application answers for the demo cases, generated from the section specs.

Generated rather than written out, so the demo keeps submitting as the form grows: each question gets a
plausible answer of its kind, and a few answers that show in lists and filters (names, sector, model type,
risk class) come from the demo case itself.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sandbox.applications.schemas import is_asked
from sandbox.applications.sections import SECTIONS, FieldKind, FieldSpec, SectionSpec

# Answers of conditional questions follow from these choices, so the demo leaves most follow-ups out.
PREFERRED_CHOICES = {
    "prior_enforcement": "no",
    "prior_incidents": "no",
    "has_partners": "no",
    "special_category_data": "no",
    "data_transfers": "no",
    "authorisation_needed": "no",
    "vulnerable_participants": "no",
    "relief_sought": ["individual_guidance"],
    "readiness_stage": "tested_offline",
    "participant_types": ["consumers"],
    "reporting_cadence": "monthly",
    "market_status": "not_on_market",
    "outputs_reversible": "all",
    "lawful_basis": "contract",
}


def _value(spec: FieldSpec, profile: dict[str, Any]) -> Any:
    if spec.name in profile:
        return profile[spec.name]
    if spec.name in PREFERRED_CHOICES:
        return PREFERRED_CHOICES[spec.name]
    domain = profile.get("domain", "sandbox.example")
    match spec.kind:
        case FieldKind.EMAIL:
            return f"{spec.name.split('_')[0]}@{domain}"
        case FieldKind.PHONE:
            return "+852 2123 4567"
        case FieldKind.URL:
            return f"https://www.{domain}"
        case FieldKind.INTEGER:
            return min(max(spec.min_value or 1, 12), spec.max_value or 12)
        case FieldKind.DATE:
            return date(date.today().year + 1, 3, 1).isoformat()
        case FieldKind.CHOICE:
            return spec.choices[0].value
        case FieldKind.MULTI:
            return [spec.choices[0].value]
        case FieldKind.YES_NO:
            return "yes"
    text = f"{profile.get('system_name', 'The system')}: {spec.label.rstrip('?').lower()} is set out in our papers."
    return text[: spec.max_length or 300]


def section_answers(section: SectionSpec, profile: dict[str, Any]) -> dict[str, Any]:
    """Answers to every question of the section that is asked, given the profile's choices."""
    answers = {spec.name: _value(spec, profile) for spec in section.fields}
    return {name: value for name, value in answers.items() if is_asked(section.fields_by_name[name], answers)}


def application_answers(profile: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """{section key: answers} for a complete application."""
    return {section.key: section_answers(section, profile) for section in SECTIONS}
