"""The application form's sections and questions (DESIGN §4, sections 1 to 9)."""

from __future__ import annotations

import dataclasses
import re

import pytest

from sandbox.applications.sections import (
    DEFAULT_MAX_LENGTH,
    SECTION_BY_KEY,
    SECTIONS,
    Choice,
    FieldKind,
    FieldSpec,
    SectionSpec,
    check_sections,
)

ALL_FIELDS = {spec.name: spec for section in SECTIONS for spec in section.fields}

# One or more questions for every item DESIGN §4 lists, by section.
DESIGN_CONCEPTS = {
    "organisation": ["legal_name", "registration_number", "jurisdiction", "registered_address", "is_sme", "sector",
                     "licences_held", "directors", "dpo_name", "dpo_email", "prior_enforcement",
                     "prior_enforcement_details", "prior_incidents"],
    "contacts": ["lead_contact_name", "lead_contact_role", "lead_contact_email", "lead_contact_phone",
                 "signatory_name", "signatory_role", "signatory_email", "partners"],
    "ai-system": ["system_name", "system_version", "intended_purpose", "model_type", "foundation_model_provider",
                  "deployment_context", "ai_act_risk_class", "annex_iii_area", "market_status"],
    "eligibility": ["scope_statement", "genuine_innovation", "consumer_benefit", "sandbox_need", "rules_concerned",
                    "relief_sought", "readiness_stage", "pre_deployment_results"],
    "test-plan": ["test_objectives", "success_metrics", "test_method", "test_start_date", "test_duration_months",
                  "test_phases", "test_geography", "participant_count", "participant_types",
                  "participant_selection", "vulnerable_participants", "vulnerable_safeguards", "exposure_limits",
                  "test_kpis", "reporting_cadence"],
    "safeguards": ["user_disclosure", "informed_consent", "complaints_process", "compensation_arrangements",
                   "human_oversight", "kill_switch", "outputs_reversible"],
    "data": ["data_categories", "data_sources", "lawful_basis", "dpia_completed", "data_retention",
             "data_transfers", "data_transfer_details"],
    "risk-and-incidents": ["risk_assessment", "risk_mitigations", "incident_response_plan"],
    "exit": ["transition_strategy", "early_exit_plan"],
}


def test_the_nine_sections_in_order() -> None:
    assert [s.key for s in SECTIONS] == ["organisation", "contacts", "ai-system", "eligibility", "test-plan",
                                         "safeguards", "data", "risk-and-incidents", "exit"]
    assert list(SECTION_BY_KEY) == [s.key for s in SECTIONS]
    assert all(s.title and s.summary.endswith(".") and s.fields for s in SECTIONS)


def test_attachments_and_declaration_are_not_here() -> None:
    assert not {"attachments", "declaration"} & set(SECTION_BY_KEY)


def test_field_names_are_unique_across_sections() -> None:
    names = [spec.name for section in SECTIONS for spec in section.fields]
    assert len(names) == len(set(names))


@pytest.mark.parametrize(("key", "names"), DESIGN_CONCEPTS.items())
def test_every_design_concept_is_asked_in_its_section(key: str, names: list[str]) -> None:
    assert set(names) <= set(SECTION_BY_KEY[key].fields_by_name)


def test_kinds_and_limits() -> None:
    kinds = {name: spec.kind for name, spec in ALL_FIELDS.items()}
    assert kinds["is_sme"] is FieldKind.YES_NO
    assert kinds["sector"] is kinds["model_type"] is kinds["ai_act_risk_class"] is FieldKind.CHOICE
    assert kinds["market_status"] is kinds["lawful_basis"] is FieldKind.CHOICE
    assert kinds["relief_sought"] is FieldKind.MULTI
    assert kinds["test_start_date"] is FieldKind.DATE
    assert kinds["dpia_completed"] is kinds["data_transfers"] is kinds["vulnerable_participants"] is FieldKind.YES_NO
    assert {kinds[n] for n in ("lead_contact_email", "signatory_email", "dpo_email")} == {FieldKind.EMAIL}
    assert kinds["lead_contact_phone"] is FieldKind.PHONE
    assert {kinds[n] for n in ("directors", "partners", "licences_held")} == {FieldKind.TEXTAREA}
    duration, subjects = ALL_FIELDS["test_duration_months"], ALL_FIELDS["participant_count"]
    assert (duration.kind, duration.min_value, duration.max_value) == (FieldKind.INTEGER, 1, 24)
    assert (subjects.kind, subjects.min_value, subjects.max_value) == (FieldKind.INTEGER, 1, 1_000_000)
    assert ALL_FIELDS["registration_number"].max_length == 50
    assert ALL_FIELDS["system_version"].max_length == 50
    assert ALL_FIELDS["legal_name"].max_length == 200


def test_choices_cover_what_the_design_names() -> None:
    def values(name: str) -> set[str]:
        return {choice.value for choice in ALL_FIELDS[name].choices}

    assert {"classical_ml", "generative", "rag", "fine_tuned", "third_party_foundation"} <= values("model_type")
    assert {"prohibited", "high_risk", "limited_risk", "minimal_risk"} <= values("ai_act_risk_class")
    assert {"waiver", "individual_guidance", "no_action_letter", "other"} <= values("relief_sought")
    assert {"consent", "contract", "legal_obligation", "legitimate_interests", "public_task", "other"} \
        <= values("lawful_basis")
    assert {"banking", "insurance", "securities_and_asset_management", "payments", "lending_and_credit",
            "healthcare", "public_sector", "other"} <= values("sector")
    assert len(values("annex_iii_area")) == 8


def test_follow_up_questions() -> None:
    only_if = {name: spec.only_if for name, spec in ALL_FIELDS.items()}
    assert only_if["foundation_model_provider"] == ("model_type", ("third_party_foundation", "fine_tuned"))
    assert only_if["annex_iii_area"] == ("ai_act_risk_class", ("high_risk",))
    assert only_if["prior_enforcement_details"] == ("prior_enforcement", ("yes",))
    assert only_if["vulnerable_safeguards"] == ("vulnerable_participants", ("yes",))
    assert only_if["data_transfer_details"] == ("data_transfers", ("yes",))


def test_what_is_optional() -> None:
    optional = {name for name, spec in ALL_FIELDS.items() if not spec.required}
    assert {"website", "trading_name", "alternative_contact_name", "alternative_contact_email"} <= optional
    assert {"legal_name", "registration_number", "intended_purpose", "ai_act_risk_class", "relief_sought",
            "lawful_basis", "incident_response_plan", "early_exit_plan"}.isdisjoint(optional)


def test_text_is_plain_and_limits_fit() -> None:
    for spec in ALL_FIELDS.values():
        assert spec.label[0].isupper() and not spec.label.endswith(" "), spec.name
        assert "(optional)" not in spec.label, spec.name  # the page adds it
        for text in (spec.label, spec.hint or ""):
            assert not re.search(r"\b(e\.g|i\.e|etc)\b", text), spec.name
        if spec.max_length is not None:
            assert 0 < spec.max_length <= DEFAULT_MAX_LENGTH[spec.kind], spec.name


def test_the_specs_pass_their_own_check() -> None:
    check_sections(SECTIONS)


def _section(*fields: FieldSpec, key: str = "broken") -> SectionSpec:
    return SectionSpec(key=key, title="Broken", summary="For the test.", fields=fields)


YES_NO = FieldSpec("flag", "Flag?", FieldKind.YES_NO)
CHOICE = FieldSpec("colour", "Colour?", FieldKind.CHOICE, choices=(Choice("red", "Red"), Choice("blue", "Blue")))


@pytest.mark.parametrize(("sections", "culprit"), [
    ((_section(FieldSpec("details", "Details", FieldKind.TEXT, only_if=("nowhere", ("yes",)))),), "details"),
    ((_section(FieldSpec("details", "Details", FieldKind.TEXT, only_if=("flag", ("yes",))), YES_NO),), "details"),
    ((_section(YES_NO, FieldSpec("details", "Details", FieldKind.TEXT, only_if=("flag", ("maybe",)))),), "details"),
    ((_section(CHOICE, FieldSpec("shade", "Shade", FieldKind.TEXT, only_if=("colour", ("green",)))),), "shade"),
    ((_section(FieldSpec("words", "Words", FieldKind.TEXT),
               FieldSpec("more", "More", FieldKind.TEXT, only_if=("words", ("x",)))),), "more"),
    ((_section(FieldSpec("pick", "Pick", FieldKind.CHOICE)),), "pick"),
    ((_section(FieldSpec("picks", "Picks", FieldKind.MULTI)),), "picks"),
    ((_section(YES_NO), _section(YES_NO, key="again")), "flag"),
    ((_section(FieldSpec("count", "Count", FieldKind.INTEGER, min_value=5, max_value=1)),), "count"),
])
def test_the_check_names_the_broken_field(sections: tuple[SectionSpec, ...], culprit: str) -> None:
    with pytest.raises(ValueError, match=repr(culprit)):
        check_sections(sections)


def test_the_check_catches_a_broken_follow_up_in_the_real_form() -> None:
    section = SECTION_BY_KEY["ai-system"]
    broken = tuple(dataclasses.replace(spec, only_if=("model_type", ("open_weights",)))
                   if spec.name == "foundation_model_provider" else spec for spec in section.fields)
    with pytest.raises(ValueError, match="foundation_model_provider"):
        check_sections((*SECTIONS[:2], dataclasses.replace(section, fields=broken), *SECTIONS[3:]))
