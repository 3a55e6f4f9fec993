"""Demo data for a newcomer's first run: a regulator's staff, two applicant firms and a dozen cases.

Idempotent: running it again creates only what is missing and changes nothing that exists. The cases are
built through the same domain functions the pages use (write, submit, assign, request information, move
through the workflow), with the dates moved back so the queue and the dashboard have a history to show.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from sandbox.accounts import operations
from sandbox.accounts.models import Organisation, OrganisationKind, User
from sandbox.applications.models import ApplicationDraft, Notification
from sandbox.applications.operations import save_section, start_application, submit_application
from sandbox.applications.sections import SECTIONS
from sandbox.cases.models import Case, CaseTransition
from sandbox.checklists.case_checklist import case_items
from sandbox.checklists.operations import rate_item
from sandbox.core.db import utcnow
from sandbox.core.permissions import Role
from sandbox.decisions.operations import decide
from sandbox.demo_answers import application_answers
from sandbox.reviews.assessment import recommend, score_eligibility
from sandbox.reviews.assignments import assign, declare_no_conflict
from sandbox.reviews.information_requests import send_information_request
from sandbox.reviews.models import AssignmentRole
from sandbox.workflow.engine import REGULATOR_TIMEZONE, perform, refresh_queue_columns, regulator_today
from sandbox.workflow.versions import definition_of

DEMO_PASSWORD = "sandbox-demo-2026"  # noqa: S105 (published in the README; demo data only)


@dataclass(frozen=True)
class DemoUser:
    email: str
    full_name: str
    role: Role
    job_title: str


@dataclass(frozen=True)
class DemoOrganisation:
    name: str
    kind: OrganisationKind
    registration_number: str | None
    users: tuple[DemoUser, ...]
    answers: dict[str, Any] = field(default_factory=dict)  # the firm's own answers to the application


DEMO_ORGANISATIONS = (
    DemoOrganisation("Sandbox Regulatory Authority", OrganisationKind.REGULATOR, None, (
        DemoUser("lead@regulator.example", "Lena Ho", Role.LEAD, "Head of Innovation Office"),
        DemoUser("officer1@regulator.example", "Omar Chan", Role.CASE_OFFICER, "Case Officer"),
        DemoUser("officer2@regulator.example", "Olivia Wong", Role.CASE_OFFICER, "Case Officer"),
        DemoUser("decider@regulator.example", "Daniel Lau", Role.DECISION_MAKER, "Director, Sandbox Decisions"),
        DemoUser("admin@regulator.example", "Ada Cheung", Role.ADMIN, "Service Administrator"),
    )),
    DemoOrganisation("Aurora Credit Ltd", OrganisationKind.APPLICANT, "HK-2981734", (
        DemoUser("alice@aurora.example", "Alice Tam", Role.APPLICANT, "Chief Compliance Officer"),
        DemoUser("ben@aurora.example", "Ben Yip", Role.APPLICANT, "Head of Data Science"),
    ), {"legal_name": "Aurora Credit Ltd", "registration_number": "HK-2981734", "jurisdiction": "Hong Kong",
        "registered_address": "18/F Harbour Centre\n25 Harbour Road\nWan Chai, Hong Kong", "domain": "aurora.example",
        "sector": "lending_and_credit", "lead_contact_name": "Alice Tam",
        "lead_contact_role": "Chief Compliance Officer", "signatory_name": "Alice Tam",
        "signatory_role": "Chief Compliance Officer"}),
    DemoOrganisation("Beacon Health AI Ltd", OrganisationKind.APPLICANT, "HK-3310265", (
        DemoUser("carla@beacon.example", "Carla Ng", Role.APPLICANT, "General Counsel"),
        DemoUser("dev@beacon.example", "Dev Patel", Role.APPLICANT, "Chief Technology Officer"),
    ), {"legal_name": "Beacon Health AI Ltd", "registration_number": "HK-3310265", "jurisdiction": "Hong Kong",
        "registered_address": "Unit 9, 12/F Cyberport 3\n100 Cyberport Road\nHong Kong", "domain": "beacon.example",
        "sector": "healthcare", "lead_contact_name": "Carla Ng", "lead_contact_role": "General Counsel",
        "signatory_name": "Carla Ng", "signatory_role": "General Counsel"}),
)

AURORA, BEACON = "Aurora Credit Ltd", "Beacon Health AI Ltd"
OFFICER_1, OFFICER_2 = "officer1@regulator.example", "officer2@regulator.example"
HIGH_RISK_CREDIT = {"ai_act_risk_class": "high_risk", "annex_iii_area": "essential_services"}
LIMITED = {"ai_act_risk_class": "limited_risk"}


@dataclass(frozen=True)
class DemoCase:
    """One demo application and the steps it has been through, each a number of days ago."""

    organisation: str
    system_name: str
    answers: dict[str, Any]
    steps: tuple[tuple[str, int], ...] = ()
    officer: str = OFFICER_1
    reasons: str = "The test is well designed, and its risks are understood and controlled."


DEMO_CASES = (
    DemoCase(AURORA, "Aurora Voice Agent", {"model_type": "generative", **LIMITED}),  # a draft
    DemoCase(BEACON, "Beacon Symptom Checker", {"model_type": "generative", **LIMITED}, (("submit", 2),)),
    DemoCase(BEACON, "Radiology Assist", {"model_type": "fine_tuned", "foundation_model_provider":
             "Open Imaging Foundation, RadNet-Base 2.0", "ai_act_risk_class": "high_risk",
             "annex_iii_area": "essential_services"}, (("submit", 6), ("triage", 4))),
    DemoCase(AURORA, "Fraud Sentinel", {"model_type": "classical_ml", "ai_act_risk_class": "minimal_risk"},
             (("submit", 20), ("triage", 18), ("request_information", 0)), OFFICER_2),
    DemoCase(BEACON, "Care Navigator", {"model_type": "generative", **LIMITED},
             (("submit", 35), ("triage", 33), ("assess", 25), ("score:partly", 10)), OFFICER_2),
    DemoCase(AURORA, "Affordability Checker", {"model_type": "fine_tuned", "foundation_model_provider":
             "Northwind AI, Ledger-7B 1.3", **HIGH_RISK_CREDIT},
             (("submit", 75), ("triage", 72), ("assess", 60), ("score", 12), ("recommend:admit", 5),
              ("assign_decider", 4))),
    DemoCase(BEACON, "TriageMate", {"model_type": "rag", "ai_act_risk_class": "high_risk",
             "annex_iii_area": "essential_services"},
             (("submit", 122), ("triage", 118), ("assess", 100)), OFFICER_2),  # the statutory deadline has passed
    DemoCase(AURORA, "CreditLens SME", {"model_type": "classical_ml", **HIGH_RISK_CREDIT},
             (("submit", 230), ("triage", 228), ("assess", 220), ("score", 200), ("recommend:admit", 170),
              ("assign_decider", 168), ("decide:admit", 160))),
    DemoCase(AURORA, "Collections Assistant", {"model_type": "generative", **LIMITED},
             (("submit", 110), ("triage", 106), ("assess", 95), ("score", 60), ("recommend:reject", 30),
              ("assign_decider", 28), ("decide:reject", 20)), OFFICER_2,
             "The assistant would contact people in arrears without a person checking what it says, and the plan "
             "has no way to stop it quickly if it pressures vulnerable customers. Conduct rules on debt collection "
             "already apply in full; the sandbox cannot relax them."),
    DemoCase(BEACON, "Claims Reviewer", {"model_type": "classical_ml", **HIGH_RISK_CREDIT},
             (("submit", 140), ("triage", 138), ("assess", 130), ("score", 110), ("recommend:waitlist", 90),
              ("assign_decider", 88), ("decide:waitlist", 80))),
    DemoCase(BEACON, "Dermatology Screen", {"model_type": "third_party_foundation", "foundation_model_provider":
             "SkinSight Labs, Derm-V 4", "ai_act_risk_class": "not_sure"},
             (("submit", 190), ("triage", 185), ("assign_decider", 180), ("decide:reject_out_of_scope", 175)),
             OFFICER_2,
             "The product is a medical device for consumers; it is regulated by the health products authority, "
             "not by us, so it falls outside the sandbox's scope."),
    DemoCase(AURORA, "Open Banking Insights", {"model_type": "rag", **LIMITED},
             (("submit", 50), ("triage", 47), ("withdraw", 40))),
)

ELIGIBILITY = (("scope", "met"), ("genuine_innovation", "met"), ("consumer_benefit", "partly_met"),
               ("sandbox_need", "met"), ("readiness", "partly_met"))
ADMISSION_CONDITIONS = ["Tell participants before they start that an AI system is involved and how to opt out.",
                        "Report every serious incident to us within 2 working days."]
CHECKLIST_NOTE = "The evidence covers the pilot only; ask for the plan for the full test before admission."
INFORMATION_QUESTIONS = ["How will you check that the model does not treat older customers less favourably?",
                         "Send the results of your most recent test of the kill switch."]


def seed_demo(session: Session) -> list[str]:
    """Create whatever demo organisations, users and cases are missing; returns what was created."""
    created: list[str] = []
    for spec in DEMO_ORGANISATIONS:
        organisation = session.scalars(select(Organisation).where(Organisation.name == spec.name)).one_or_none()
        if organisation is None:
            organisation = operations.create_organisation(
                session, name=spec.name, kind=spec.kind, registration_number=spec.registration_number)
            created.append(f"organisation {spec.name}")
        for user in spec.users:
            if operations.find_user_by_email(session, user.email) is None:
                operations.create_user(session, organisation=organisation, email=user.email, full_name=user.full_name,
                                       role=user.role, password=DEMO_PASSWORD, job_title=user.job_title)
                created.append(f"user {user.email} ({user.role.value})")
    created.extend(_seed_cases(session))
    return created


def _seed_cases(session: Session) -> list[str]:
    existing = {tuple(row) for row in session.execute(select(Organisation.name, ApplicationDraft.system_name)
                .join(Case, Case.organisation_id == Organisation.id)
                .join(ApplicationDraft, ApplicationDraft.case_id == Case.id))}
    # Oldest first, so references run in the order the applications were sent.
    missing = sorted((spec for spec in DEMO_CASES if (spec.organisation, spec.system_name) not in existing),
                     key=lambda spec: -dict(spec.steps).get("submit", -1))
    if not missing:
        return []
    people = {user.email: user for user in session.scalars(select(User).where(User.email.like("%.example")))}
    organisations = {o.name: o for o in session.scalars(select(Organisation).where(
        Organisation.name.in_([AURORA, BEACON])))}
    today = regulator_today()
    created = []
    for spec in missing:
        case = _DemoBuilder(session, spec, organisations[spec.organisation], people, today).build()
        created.append(f"case {case.reference or 'draft'} {spec.system_name} ({case.state})")
    return created


STAMPED = {CaseTransition: "occurred_at", Notification: "created_at"}


def _moment(day: date) -> datetime:
    """Mid-morning in Hong Kong on `day`, or now for today (never a time still to come)."""
    return min(datetime.combine(day, time(10, 30), REGULATOR_TIMEZONE).astimezone(UTC), utcnow())


class _DemoBuilder:
    def __init__(self, session: Session, spec: DemoCase, organisation: Organisation, people: dict[str, User],
                 today: date) -> None:
        self.session, self.spec, self.organisation, self.today = session, spec, organisation, today
        firm = next(o for o in DEMO_ORGANISATIONS if o.name == organisation.name)
        self.applicant = people[firm.users[0].email]
        self.officer, self.lead = people[spec.officer], people["lead@regulator.example"]
        self.decider = people["decider@regulator.example"]
        self.answers = application_answers({**firm.answers, "system_name": spec.system_name, **spec.answers})

    def build(self) -> Case:
        case = self.case = start_application(self.session, self.organisation, self.applicant)
        sections = SECTIONS if self.spec.steps else SECTIONS[:3]  # a draft is partly written
        for section in sections:
            save_section(self.session, case, section.key, self.answers[section.key], self.applicant,
                         based_on_version=0, mark_complete=True)
        for step, days_ago in self.spec.steps:
            day = self.today - timedelta(days=days_ago)
            latest = {model: self.session.scalar(select(func.max(model.id))) or 0 for model in STAMPED}
            action, _sep, argument = step.partition(":")
            getattr(self, f"_{action}")(day, argument)
            # What the step wrote is dated the day it happened (the audit log keeps the real times: it is chained).
            for model, column in STAMPED.items():
                self.session.execute(update(model).where(model.case_id == case.id, model.id > latest[model])
                                     .values({column: _moment(day)}))
            case.updated_at = case.last_activity_at = _moment(day)
        refresh_queue_columns(case, definition_of(case.workflow_version), self.today)
        self.session.flush()
        return case

    def _submit(self, day: date, _argument: str) -> None:
        declaration = {"signatory_name": self.applicant.full_name, "signatory_role": self.applicant.job_title,
                       "attested": True, "signed_by_user_id": self.applicant.id}
        submit_application(self.session, self.case, self.applicant, declaration, expected_version=self.case.version)
        # The statutory clock started on the day it was sent (the engine starts it on the real day).
        self.case.submitted_at, self.case.clock_started_on = _moment(day), day

    def _triage(self, day: date, _argument: str) -> None:
        self._assign(self.officer, AssignmentRole.CASE_OFFICER, day)

    def _assign_decider(self, day: date, _argument: str) -> None:
        self._assign(self.decider, AssignmentRole.DECISION_MAKER, day)

    def _assign(self, person: User, role: AssignmentRole, day: date) -> None:
        assignment = assign(self.session, self.case, person, role, self.lead, expected_version=self.case.version)
        declare_no_conflict(self.session, self.case, person)
        assignment.assigned_at = assignment.declared_at = _moment(day)

    def _move(self, action: str, actor: User, day: date, reasons: str | None = None) -> CaseTransition:
        return perform(self.session, self.case, action, actor, expected_version=self.case.version,
                       payload={"reasons": reasons} if reasons else None, today=day)

    def _assess(self, day: date, _argument: str) -> None:
        self._move("start_assessment", self.officer, day)

    def _score(self, day: date, argument: str) -> None:
        scored = ELIGIBILITY[:3] if argument == "partly" else ELIGIBILITY
        notes = {key: (rating, f"{self.spec.system_name}: {rating.replace('_', ' ')}; see the application.")
                 for key, rating in scored}
        for score in score_eligibility(self.session, self.case, self.officer, notes,
                                       expected_version=self.case.version):
            score.scored_at = _moment(day)
        self._rate_checklist(day, partly=argument == "partly")

    def _rate_checklist(self, day: date, *, partly: bool) -> None:
        """Every mandatory item and most others (the first fifteen only, for a case still being assessed); a few
        are partly met, with the officer's note."""
        items = case_items(self.session, self.case.id)
        for number, item in enumerate(items[:15] if partly else items):
            if not item.mandatory and number % 3 == 0:
                continue
            rating, note = ("partly_met", CHECKLIST_NOTE) if number % 7 == 3 else ("met", "")
            entry = rate_item(self.session, self.case, item, self.officer, rating, note,
                              expected_version=item.version)
            entry.rated_at = item.rated_at = _moment(day)

    def _recommend(self, day: date, outcome: str) -> None:
        reasons = self.spec.reasons if outcome != "waitlist" else (
            "Eligible, but this quarter's places for high-risk tests are all taken.")
        admit = outcome == "admit"
        recommendation = recommend(self.session, self.case, self.officer, outcome, reasons,
                                   ADMISSION_CONDITIONS if admit else [], self._parameters() if admit else {},
                                   expected_version=self.case.version)
        recommendation.created_at = _moment(day)

    def _parameters(self) -> dict[str, Any]:
        start = self.today + timedelta(days=30)  # the test has not started: the firm has yet to accept conditions
        return {"start_on": start, "end_on": start + timedelta(days=180), "max_customers": 500,
                "customer_types": "Consumers", "max_exposure": 50_000}

    def _decide(self, day: date, action: str) -> None:
        waitlisted = "Eligible, but no place for a high-risk test is free yet."
        reasons = self.spec.reasons if action != "waitlist" else waitlisted
        decision = decide(self.session, self.case, self.decider, action, reasons, expected_version=self.case.version)
        # The engine stops the clock on the real day; the demo decision was made on `day`.
        decision.decided_at, self.case.clock_stopped_on = _moment(day), day

    def _request_information(self, day: date, _argument: str) -> None:
        send_information_request(self.session, self.case, self.officer, INFORMATION_QUESTIONS,
                                 day + timedelta(days=10), expected_version=self.case.version)

    def _withdraw(self, day: date, _argument: str) -> None:
        self._move("withdraw", self.applicant, day, "We have decided to test this with a partner bank first.")
