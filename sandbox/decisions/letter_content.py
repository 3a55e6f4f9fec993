"""What a letter says, gathered from the case: the plain data (see letter_data.py) a draft starts from.

Everything here reads; nothing writes. The data comes from the decision (or information request), the application
as last sent, the decision's conditions and test parameters, the case team, the checklist and the regulator's
settings, and is validated by `LetterDataSchema` before it is kept. The free-text parts (`free_text`) start from a
sentence per kind and are what the case officer may edit in the preview.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from sandbox.accounts.models import User
from sandbox.applications.models import ApplicationRevision
from sandbox.applications.sections import SECTION_BY_KEY
from sandbox.cases.models import Case
from sandbox.core.errors import DomainError
from sandbox.decisions.letter_data import SHORT as ADDRESS_LINE
from sandbox.decisions.letter_data import dump_letter_data
from sandbox.decisions.models import Decision, DecisionOutcome
from sandbox.reviews.models import InformationRequest
from sandbox.reviews.schemas import RISK_CLASS_LABELS, SECTOR_LABELS
from sandbox.workflow.engine import regulator_today
from sandbox.workflow.versions import definition_of

KIND_OF_OUTCOME = {
    DecisionOutcome.ADMITTED.value: "admission",
    DecisionOutcome.REJECTED.value: "rejection",
    DecisionOutcome.REJECTED_OUT_OF_SCOPE.value: "rejection",
    DecisionOutcome.WAITLISTED.value: "waitlist",
}
KIND_LABELS = {
    "admission": _l("Admission with conditions"),
    "rejection": _l("Rejection"),
    "waitlist": _l("Waiting list"),
    "information_request": _l("Request for information"),
    "suspension": _l("Suspension of testing"),
    "termination": _l("Termination of testing"),
    "exit": _l("Exit: written proof of testing activities"),
}
# Letters about the testing period, drafted by staff from the case page, and the states they may be drafted in.
SUPERVISION_KINDS = {"suspension": ("testing", "suspended"), "termination": ("suspended", "terminated"),
                     "exit": ("exiting", "exit_review", "closed")}
SUPERVISION_OUTCOMES = {"suspension": "suspended", "termination": "terminated", "exit": "exited"}
TITLES = {
    "admission": "Admission to the AI sandbox, with conditions",
    "rejection": "Decision not to admit your application to the AI sandbox",
    "waitlist": "Your application has been placed on the waiting list",
    "information_request": "Request for further information",
    "suspension": "Suspension of testing in the AI sandbox",
    "termination": "Termination of testing in the AI sandbox",
    "exit": "Exit from the AI sandbox: written proof of testing activities",
}
LEGAL_BASIS = {
    "admission": "The terms of participation in the AI sandbox: admission of participants (EU AI Act Art. 57-58)",
    "rejection": "The terms of participation in the AI sandbox: admission of participants (EU AI Act Art. 57-58)",
    "waitlist": "The terms of participation in the AI sandbox: admission of participants and cohort capacity",
    "information_request": "The terms of participation in the AI sandbox: information needed to assess an "
                           "application",
    "suspension": "The terms of participation in the AI sandbox: suspension of testing",
    "termination": "The terms of participation in the AI sandbox: termination of testing",
    "exit": "The terms of participation in the AI sandbox: exit and written proof of testing activities "
            "(EU AI Act Art. 57(7))",
}
INTRODUCTIONS = {
    "admission": "Thank you for your application to test {system} in the AI sandbox. We have decided to admit it, "
                 "with the conditions and within the limits set out in this letter.",
    "rejection": "Thank you for your application to test {system} in the AI sandbox. We have decided not to admit "
                 "it. This letter gives our reasons and explains how you can challenge the decision.",
    "waitlist": "Thank you for your application to test {system} in the AI sandbox. It meets the eligibility "
                "criteria, but there is no place in the current cohort.",
    "information_request": "We are assessing your application to test {system} in the AI sandbox and need more "
                           "information from you before we can continue.",
    "suspension": "We have decided to suspend the testing of {system} in the AI sandbox.",
    "termination": "We have decided to end the testing of {system} in the AI sandbox.",
    "exit": "The testing of {system} in the AI sandbox has ended. This letter is the written proof of the "
            "testing activities carried out.",
}
CONFIDENTIALITY = ("This letter is confidential to you and to us. We publish the name of admitted firms, the name "
                   "of the tested system and the testing period on our sandbox register; we publish nothing else "
                   "without your agreement unless the law requires it.")
CHALLENGE_HOW = ("Ask for the decision to be reconsidered through the sandbox service (open your application and "
                 "write to us), or in writing to the address above, giving your grounds. A decision maker who took "
                 "no part in this decision will reconsider it.")
HOW_TO_EXTEND = ("Apply through the sandbox service at least 30 days before the end date, with the interim results "
                 "and the reasons an extension is needed.")
INCIDENT_DEADLINE_HOURS = 48  # the serious-incident clock (DESIGN.md §3: 2 days for the most severe)
SAFEGUARDS = ["Tell every participant, before they take part, that the service is tested in the sandbox and how "
              "to leave the test.",
              "Keep the human oversight and the means to stop the system quickly that your application describes.",
              "Keep the complaints and compensation arrangements your application describes in place."]
RELIEF_LIMITS = ("Any relief applies only to the tested system, within the limits above and until the end date; "
                 "it lapses at once if testing is suspended or terminated.")
GROUNDS_FOR_SUSPENSION = ["A breach of any condition or limit in this letter.",
                          "An incident causing or risking material harm to participants.",
                          "Information given to us that turns out to be false or misleading."]
EXIT_OBLIGATIONS = ["Stop offering the tested service to new participants on the end date.",
                    "Tell participants what happens to them and their data when the test ends.",
                    "Send your exit report within 30 days of the end of testing."]
CADENCE_REPORTS = {"monthly": "A progress report every month through the sandbox service.",
                   "quarterly": "A progress report every quarter through the sandbox service."}
CHECKLIST_RATINGS = {"met": "Met", "partly_met": "Partly met", "not_met": "Not met",
                     "not_applicable": "Not applicable"}


class LetterDataInvalid(DomainError):
    """The letter this case would get is not a valid letter (the schema's messages say why)."""

    def __init__(self, error: ValidationError) -> None:
        super().__init__(f"The letter cannot be drafted: {_flatten(error.normalized_messages())}")


@dataclass(frozen=True)
class LetterSettings:
    """The regulator's letterhead and signatory, and where the public verification page is."""

    regulator: dict[str, Any]
    signatory: dict[str, str]
    public_base_url: str


def letter_settings() -> LetterSettings:
    """From the SANDBOX_REGULATOR_*, SANDBOX_SIGNATORY_* and SANDBOX_PUBLIC_BASE_URL settings (sandbox.config)."""
    config = current_app.config
    return LetterSettings(
        regulator={"name": config["SANDBOX_REGULATOR_NAME"], "address_lines": list(config["SANDBOX_REGULATOR_ADDRESS"]),
                   "logo": config["SANDBOX_REGULATOR_LOGO"], "website": config["SANDBOX_REGULATOR_WEBSITE"]},
        signatory={"name": config["SANDBOX_SIGNATORY_NAME"], "title": config["SANDBOX_SIGNATORY_TITLE"]},
        public_base_url=config["SANDBOX_PUBLIC_BASE_URL"].rstrip("/"))


def verification_url(settings: LetterSettings, number: str) -> str:
    """The public page a reader of the letter opens: the number with dashes, so it is one path segment."""
    return f"{settings.public_base_url}/verify/{number.replace('/', '-')}"


def validated(data: Mapping[str, Any]) -> dict[str, Any]:
    """The data as the schema dumps it (plain JSON); LetterDataInvalid when it is not a letter."""
    try:
        return dump_letter_data(data)
    except ValidationError as error:
        raise LetterDataInvalid(error) from None


def decision_letter_data(session: Session, case: Case, decision: Decision) -> dict[str, Any]:
    kind = KIND_OF_OUTCOME[decision.outcome]
    decided_on = regulator_today(decision.decided_at)
    answers = _answers(session, case)
    data = _common(case, kind, answers)
    data["decision"] = {"outcome": decision.outcome, "decided_on": decided_on, "legal_basis": LEGAL_BASIS[kind],
                        "reasons": paragraphs(decision.reasons), "effective_on": None}
    if kind == "admission":
        data["testing"] = testing_block(case, answers, decision.test_parameters)
        data["conditions"] = list(decision.conditions)
    if kind == "rejection":
        days = definition_of(case.workflow_version).reconsideration_days
        data["challenge"] = {"how": CHALLENGE_HOW, "deadline_on": decided_on + timedelta(days=days)}
    if kind in ("admission", "rejection"):
        data["checklist_annex"] = checklist_annex(session, case)
    return validated(data)


def information_request_letter_data(session: Session, case: Case, request: InformationRequest) -> dict[str, Any]:
    data = _common(case, "information_request", _answers(session, case))
    data["decision"] = {"outcome": "information_requested", "decided_on": regulator_today(request.sent_at),
                        "legal_basis": LEGAL_BASIS["information_request"], "reasons": [], "effective_on": None}
    data["information_request"] = {"questions": [q.text for q in request.questions], "due_on": request.due_on}
    return validated(data)


def supervision_letter_data(session: Session, case: Case, kind: str, details: Mapping[str, Any]) -> dict[str, Any]:
    """Suspension, termination or exit, from what staff wrote (`details`: reasons, effective_on, conditions,
    challenge_deadline_on, summary, activities, ended_on) and the admission decision's test parameters."""
    today = regulator_today()
    answers = _answers(session, case)
    data = _common(case, kind, answers)
    data["decision"] = {"outcome": SUPERVISION_OUTCOMES[kind], "decided_on": today, "legal_basis": LEGAL_BASIS[kind],
                        "reasons": paragraphs(details.get("reasons")), "effective_on": details.get("effective_on")}
    admission = session.scalars(select(Decision).where(
        Decision.case_id == case.id, Decision.outcome == DecisionOutcome.ADMITTED.value)
        .order_by(Decision.id.desc()).limit(1)).first()
    if admission is not None:
        data["testing"] = testing_block(case, answers, admission.test_parameters)
    if kind == "suspension":
        data["conditions"] = list(details.get("conditions") or [])
    if kind in ("suspension", "termination"):
        data["challenge"] = {"how": CHALLENGE_HOW, "deadline_on": details.get("challenge_deadline_on")}
    if kind == "exit":
        data["exit_record"] = {"ended_on": details.get("ended_on"), "summary": details.get("summary") or "",
                               "activities": list(details.get("activities") or [])}
    return validated(data)


def _common(case: Case, kind: str, answers: Mapping[str, Any]) -> dict[str, Any]:
    """What every letter carries; `answers` are the application's as last sent."""
    settings = letter_settings()
    organisation, contacts, system = (answers.get(key, {}) for key in ("organisation", "contacts", "ai-system"))
    system_name = system.get("system_name") or case.system_name or case.reference or ""
    officer: User | None = case.case_officer
    return {
        "kind": kind, "language": "en", "title": TITLES[kind], "number": None, "issued_on": None, "is_draft": True,
        "regulator": settings.regulator, "signatory": settings.signatory, "verification": None, "supersedes": None,
        "addressee": {"organisation": organisation.get("legal_name") or case.organisation_name,
                      "contact_name": contacts.get("lead_contact_name") or None,
                      "address_lines": lines_of(organisation.get("registered_address"))},
        "case": {"reference": case.reference, "system_name": system_name,
                 "system_version": system.get("system_version") or "",
                 "sector": SECTOR_LABELS.get(case.sector or "", ""),
                 "risk_class": RISK_CLASS_LABELS.get(case.risk_class or "", ""),
                 "submitted_on": regulator_today(case.submitted_at) if case.submitted_at else regulator_today()},
        "free_text": {"introduction": INTRODUCTIONS[kind].format(system=system_name), "remarks": ""},
        "conditions": [], "testing": None, "challenge": None, "information_request": None, "exit_record": None,
        "confidentiality": CONFIDENTIALITY,
        "case_officer": {"name": officer.full_name if officer else settings.regulator["name"],
                         "email": officer.email if officer else None},
        "checklist_annex": [],
    }


def testing_block(case: Case, answers: Mapping[str, Any], parameters: Mapping[str, Any]) -> dict[str, Any]:
    """The permitted testing: the decision's period and limits, the application's purpose and relief sought."""
    system, eligibility = answers.get("ai-system", {}), answers.get("eligibility", {})
    purpose = (system.get("intended_purpose") or "").strip()
    scope = f"Live testing of {system.get('system_name') or case.system_name} as described in application " \
            f"{case.reference}" + (f": {purpose}" if purpose else ".")
    exposure = parameters.get("max_exposure")
    relief_field = SECTION_BY_KEY["eligibility"].fields_by_name["relief_sought"]
    relief_labels = {choice.value: choice.label for choice in relief_field.choices}
    relief = [relief_labels[value] for value in eligibility.get("relief_sought") or [] if value in relief_labels
              and value != "other"]
    if eligibility.get("relief_other"):
        relief.append(eligibility["relief_other"][:2000])
    cadence = answers.get("test-plan", {}).get("reporting_cadence")
    return {
        "scope": scope[:10_000], "start_on": parameters.get("start_on"), "end_on": parameters.get("end_on"),
        "how_to_extend": HOW_TO_EXTEND,
        "limits": {"max_customers": parameters.get("max_customers"),
                   "customer_types": [parameters["customer_types"]] if parameters.get("customer_types") else [],
                   "max_exposure": f"HK${exposure:,} in total" if exposure else "", "volume": ""},
        "safeguards": SAFEGUARDS, "relief": relief, "relief_limits": RELIEF_LIMITS,
        "reporting_obligations": [CADENCE_REPORTS.get(cadence or "", "Progress reports as agreed with us."),
                                  "A report of any incident within the incident deadline below.",
                                  "An exit report within 30 days of the end of testing."],
        "incident_deadline_hours": INCIDENT_DEADLINE_HOURS, "grounds_for_suspension": GROUNDS_FOR_SUSPENSION,
        "exit_obligations": EXIT_OBLIGATIONS,
    }


def checklist_annex(session: Session, case: Case) -> list[dict[str, str]]:
    """The compliance checklist as rated, one row per item, for the letter's annex."""
    return [{"section": row["section_title"] or "", "code": row["code"] or "", "title": row["title"][:2000],
             "rating": CHECKLIST_RATINGS.get(row["rating"] or "", "Not rated"),
             "note": (row["rating_note"] or "")[:2000]} for row in checklist_of(session, case.id)]


def checklist_of(session: Session, case_id: int) -> list[dict[str, Any]]:
    # Imported when used: the checklist feature sits beside this one and reads the same case.
    from sandbox.checklists.export import checklist_rows

    return checklist_rows(session, case_id)


def paragraphs(text: str | None) -> list[str]:
    """Text as typed, split into paragraphs on blank lines."""
    return [part.strip() for part in re.split(r"\n\s*\n", text or "") if part.strip()]


def lines_of(text: str | None) -> list[str]:
    """An address as typed, one line each (a line longer than a letter's address line is wrapped, never cut)."""
    return [part for line in (text or "").splitlines() for part in textwrap.wrap(line.strip(), ADDRESS_LINE)]


def latest_revision(session: Session, case: Case) -> ApplicationRevision | None:
    return session.scalars(select(ApplicationRevision).where(ApplicationRevision.case_id == case.id)
                           .order_by(ApplicationRevision.number.desc()).limit(1)).first()


def _answers(session: Session, case: Case) -> dict[str, Any]:
    revision = latest_revision(session, case)
    return revision.answers if revision else {}


def _flatten(messages: Any, path: str = "") -> str:
    if isinstance(messages, dict):
        return "; ".join(_flatten(value, f"{path}.{key}" if path else str(key)) for key, value in messages.items())
    if isinstance(messages, list):
        return "; ".join(_flatten(value, path) for value in messages)
    return f"{path}: {messages}" if path else str(messages)
