"""The review queue's server time at 1,000 cases and at N (100,000 by default), on SQLite and on PostgreSQL.

Run it from the repository's top, as a module (so this file never stands in for the standard library's `queue`):

    .venv/bin/python -m bench.queue                          # 100,000 cases, both databases (about 13 minutes)
    .venv/bin/python -m bench.queue --cases 20000 --databases sqlite --repeat 20

Each database is built by the real migrations (flask_migrate.upgrade): fresh SQLite files in a temporary folder,
and the PostgreSQL databases `bench_queue` (N cases) and `bench_queue_1000` on --postgres-url, dropped and made
again (no other database is ever dropped). Both sizes are seeded and ANALYZEd (PostgreSQL: VACUUM ANALYZE, as
autovacuum would leave it; --no-analyze skips it), then measured side by side: each view is requested in turn at
1,000 and at N cases, so a busy machine slows both sizes alike and the growth ratio stays fair.

The seed: ~2,000 applicant organisations (an applicant user each); 12 case officers, 4 decision makers, 2 leads;
cases submitted over five years, most of them closed, rejected, withdrawn or lapsed. The open ones are bounded by
the team's capacity, min(3,000, N / 2) (a young sandbox of 1,000 cases has half of them open, so its views fill
pages too), with running clocks (some overdue), paused clocks (information requested) and stopped ones
(admitted, testing, exiting); their case assignments; the submitted application (revision 1, and revision 2
for some) with varied text, and its search-index row; 3-4 hash-chained audit events per case; conflict
declarations of the measuring users; each open case past triage has its own copy of the bundled checklist
(case_checklists and 54 case_checklist_items rows, the first ones rated by its officer) and counters to match.
Closed cases carry the counters only (checklist_total / checklist_outstanding, all the queue reads): copying
54 items into each of 97,000 closed cases would take most of the seeding time and change no figure. Application
drafts are not seeded (the queue never reads them).

Measured: the whole request through the Flask test client (routing, queries, template), signed in through the
sign-in form as a case officer and as a lead (whose page also has the bulk-assign checkboxes), 3 warm-ups then
--repeat timed requests per view, size and role; a view's figures are its heavier role's. SQL statements are
counted per request with a `before_cursor_execute` listener (on SQLite that includes the BEGIN the engine sends).
Targets: every view p95 <= 50 ms and <= 6 statements, search p95 <= 100 ms, growth (p95 at N / at 1,000) <= 1.5.

The last line printed is one JSON object, {"sqlite": {...}, "postgresql": {...}}, each with "p95_ms_max" (the
worst view that is not a search), "statements_max", "search_p95_ms" (the worst search), "growth_ratio" (the worst
view's p95 at N over its own p95 at 1,000), and also "listing_growth_ratio" and "search_growth_ratio" (that
ratio over the views that are not searches, and over the searches), "cases" and "seed_seconds".
"""

from __future__ import annotations

import argparse
import gc
import html
import json
import math
import random
import re
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
from flask import Flask
from flask.testing import FlaskClient
from flask_migrate import upgrade
from psycopg.types.json import Json
from sqlalchemy import JSON, Connection, Engine, event, text

from sandbox import create_app
from sandbox.accounts.conflicts import ConflictDeclaration
from sandbox.accounts.models import Organisation, User
from sandbox.accounts.passwords import hash_password
from sandbox.applications.models import ApplicationRevision
from sandbox.applications.sections import SECTIONS, FieldKind
from sandbox.cases.models import Case, ReferenceCounter
from sandbox.checklists.models import ITEM_FIELD_NAMES, CaseChecklist, CaseItem
from sandbox.checklists.templates import template_in_force
from sandbox.core.audit import AuditEvent, canonical_json, chain_hash, verify_chain
from sandbox.extensions import db
from sandbox.reviews.models import CaseAssignment
from sandbox.reviews.queue import encode_cursor
from sandbox.reviews.search import case_document, words_only
from sandbox.workflow.engine import NO_DEADLINE, PAUSED_BASE, REGULATOR_TIMEZONE, regulator_today
from sandbox.workflow.versions import current_version, definition_of
from tests.applications.filling import valid_value

SMALL = 1_000
RANDOM_SEED = 20_260_101  # the same organisations, names and words at every size
DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/"
TARGET_MS, SEARCH_TARGET_MS, TARGET_STATEMENTS, TARGET_GROWTH = 50.0, 100.0, 6, 1.5
OPEN_CAP = 3_000
BATCH = 5_000
PASSWORD = "bench password, not secret"  # noqa: S105 (a throwaway database's users)
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')

# --- what the seed is made of --------------------------------------------------------------------------------------

OPEN_STATES = {  # state: (share of open cases, clock, submitted this many days ago (range))
    "submitted": (8, "running", (0, 10)), "triage": (12, "running", (3, 45)),
    "information_requested": (12, "paused", (10, 90)), "assessment": (25, "running", (20, 115)),
    "decision_pending": (8, "running", (60, 110)), "reconsideration": (2, "running", (100, 200)),
    "waitlisted": (5, "stopped", (90, 300)), "admitted": (4, "stopped", (90, 200)),
    "testing": (16, "stopped", (120, 700)), "suspended": (1, "stopped", (200, 700)),
    "exiting": (4, "stopped", (400, 800)), "exit_review": (3, "stopped", (450, 900)),
}
CLOSED_STATES = {"closed": 35, "rejected": 30, "withdrawn": 25, "lapsed": 7, "terminated": 3}
HAS_DECIDER = {"decision_pending", "reconsideration", "waitlisted", "admitted", "testing", "suspended", "exiting",
               "exit_review", "closed", "rejected", "terminated"}
FINAL_ACTION = {"closed": "close", "rejected": "reject", "withdrawn": "withdraw", "lapsed": "lapse",
                "terminated": "terminate", "testing": "accept_conditions", "waitlisted": "waitlist"}
RISK_CLASSES = {"high_risk": 35, "limited_risk": 30, "minimal_risk": 24, "not_sure": 10.5, "prohibited": 0.5}
CLOCK_DAYS = 84  # 60 working days, in calendar days

FIRST_NAMES = ["Olivia", "Oscar", "Amara", "Ben", "Chloe", "Daniel", "Esther", "Farid", "Grace", "Hiroshi", "Isla",
               "Jun", "Kavya", "Liam", "Mei", "Noah", "Priya", "Rory", "Sofia", "Tomas", "Wing", "Yusuf", "Zara"]
LAST_NAMES = ["Chan", "Wong", "Smith", "Patel", "Lee", "Okafor", "Garcia", "Leung", "Murphy", "Ng", "Kowalski",
              "Ho", "Nakamura", "Silva", "Tsang", "Brown", "Cheung", "Fischer", "Lam", "O'Neill", "Yip", "Khan"]
ORG_WORDS = ["Aurora", "Beacon", "Cedar", "Delta", "Ember", "Falcon", "Granite", "Harbour", "Iris", "Juniper",
             "Kestrel", "Lumen", "Meridian", "Northwind", "Orchid", "Pioneer", "Quartz", "Riverside", "Summit",
             "Tidewater", "Unity", "Vantage", "Willow", "Zenith", "Atlas", "Bluebell", "Cobalt", "Driftwood",
             "Evergreen", "Fernhill", "Highland", "Ivory", "Jade", "Kingfisher", "Lighthouse", "Maple", "Nova",
             "Oakridge", "Redwood", "Sapphire", "Silverline", "Starling", "Thistle", "Westbrook", "Acorn",
             "Bridgewater", "Crescent", "Dragonfly", "Eastgate", "Foxglove", "Greenfield", "Hillcrest", "Jubilee",
             "Kowloon", "Lantau", "Pacific", "Queensway", "Stanley", "Peninsula", "Harcourt", "Sai Kung", "Tai Po"]
ORG_KINDS = {"banking": ["Bank", "Savings", "Finance", "Capital"], "insurance": ["Insurance", "Assurance", "Mutual"],
             "securities_and_asset_management": ["Asset Management", "Securities", "Wealth", "Investments"],
             "payments": ["Pay", "Payments", "Wallet", "Remit"],
             "lending_and_credit": ["Lending", "Credit", "Loans"], "healthcare": ["Health", "Medical", "Care"],
             "public_sector": ["Council", "Authority", "Agency"],
             "technology_supplier": ["Analytics", "Labs", "AI", "Data", "Technologies"],
             "other": ["Logistics", "Energy", "Retail", "Property"]}
SECTOR_SHARES = {"banking": 18, "insurance": 15, "securities_and_asset_management": 10, "payments": 10,
                 "lending_and_credit": 12, "healthcare": 12, "public_sector": 5, "technology_supplier": 13, "other": 5}
LEGAL_FORMS = ["Ltd", "Limited", "plc", "Holdings Ltd", "Group", "LLP", "Company Limited", "HK Limited"]
SYSTEM_WORDS = ["Smart", "Clear", "Rapid", "Fair", "Bright", "Swift", "True", "Open", "Secure", "Insight",
                "Precise", "Adaptive", "Guardian", "Pilot", "Signal", "Compass", "Sentinel", "Horizon", "Pulse", "Lens"]
SYSTEM_KINDS = ["Credit Scorer", "Claims Triage", "Fraud Shield", "Underwriter", "Advisor", "Chat Assistant",
                "Document Reader", "Risk Engine", "Loan Helper", "Symptom Checker", "Collections Coach",
                "KYC Verifier", "Portfolio Pilot", "Complaints Sorter", "Affordability Check", "Voice Agent",
                "Summariser", "Transaction Monitor", "Pricing Engine", "Eligibility Checker"]

SUBJECTS = ["The system", "Our model", "The tool", "The assistant", "The platform", "The service", "The engine"]
VERBS = ["assesses", "scores", "flags", "summarises", "ranks", "predicts", "classifies", "recommends actions on",
         "screens", "monitors", "triages", "answers questions about", "detects anomalies in", "verifies",
         "explains", "estimates", "prioritises", "translates", "extracts data from", "drafts replies about"]
OBJECTS = {"banking": ["account openings", "money laundering alerts", "overdraft limits", "savings goals",
                       "transaction fraud", "sanctions screening hits", "dormant accounts", "mortgage arrears"],
           "insurance": ["motor claims", "home insurance quotes", "underwriting risk", "claims fraud",
                         "policy renewals", "flood exposure", "life cover applications", "travel claims"],
           "securities_and_asset_management": ["portfolio rebalancing", "trade surveillance alerts",
                                               "suitability assessments", "market abuse patterns",
                                               "robo-advice portfolios", "fund factsheets", "best execution"],
           "payments": ["card payments", "merchant onboarding", "cross-border transfers", "payment disputes",
                        "wallet top-ups", "authorised push payment scams", "settlement breaks"],
           "lending_and_credit": ["credit applications", "loan affordability", "repayment plans",
                                  "buy now pay later limits", "debt collection calls", "income verification"],
           "healthcare": ["patient symptoms", "radiology images", "discharge summaries", "appointment no-shows",
                          "sepsis risk", "dermatology photos", "prescription errors", "referral letters"],
           "public_sector": ["benefit claims", "housing applications", "tax returns", "planning objections",
                             "school admissions", "licence renewals", "public enquiries"],
           "technology_supplier": ["customer documents", "identity checks", "call transcripts", "complaints",
                                   "email enquiries", "contract clauses", "financial statements"],
           "other": ["delivery routes", "energy bills", "tenant applications", "supplier invoices",
                     "customer reviews", "shop inventory"]}
AUDIENCES = ["retail customers", "small businesses", "elderly customers", "first-time buyers", "clinicians",
             "claims handlers", "compliance analysts", "underwriters", "call centre staff", "self-employed customers",
             "students", "pensioners", "merchants", "case workers", "vulnerable customers", "new migrants"]
METHODS = ["using open banking data", "with a gradient boosted model", "with a large language model",
           "through retrieval augmented generation", "from historical records", "from scanned documents",
           "in real time", "in an overnight batch", "through a mobile app", "through web chat", "in branches",
           "over the telephone", "with a rules engine and a neural network", "with computer vision",
           "with speech recognition", "with a logistic regression scorecard"]
PURPOSES = ["to reduce waiting times", "to cut manual review", "to improve financial inclusion",
            "to detect vulnerability earlier", "to lower default rates", "to speed up decisions",
            "to improve accuracy", "to reduce false positives", "to widen access", "to explain outcomes clearly",
            "to lower costs for customers", "to catch fraud before money leaves"]
STAFF_ROLES = ["trained case handler", "senior underwriter", "qualified clinician", "compliance officer",
               "fraud analyst", "credit officer", "customer service agent", "data scientist", "model risk manager"]
RISKS = ["unfair bias", "model drift", "hallucinated answers", "proxy discrimination", "data leakage",
         "over-reliance by staff", "prompt injection", "poor explainability", "privacy intrusion",
         "automation bias", "inaccurate outputs", "exclusion of thin-file customers"]
MITIGATIONS = ["monthly fairness testing", "a human review of every refusal", "drift monitoring with alerts",
               "red-team exercises", "a kill switch owned by the product owner", "quarterly model validation",
               "input filtering and output checks", "clear notices and an appeal route", "data minimisation"]
DATA_SOURCES = ["five years of application records", "anonymised claims histories", "credit reference agency data",
                "electronic health records", "call recordings with consent", "open banking transaction feeds",
                "public registers", "synthetic data from our vendor", "customer survey responses"]
METRICS = ["approval rates", "false positive rates", "complaint volumes", "time to decision",
           "customer satisfaction scores", "default rates", "claims leakage", "accuracy against expert review",
           "resolution times", "override rates"]
RARE_WORDS = ["telematics", "pneumoconiosis", "chargebacks", "geospatial", "homomorphic", "voiceprint", "liveness",
              "actuarial", "microfinance", "remittances", "agritech", "crowdfunding", "tokenised", "federated"]
FILLERS = ["See the attached policy document.", "As described in our business plan.", "Not applicable at this stage.",
           "Covered by our group policy, reviewed every year.", "Our board approved this approach in March.",
           "The details are in the supporting evidence we uploaded.", "We will confirm this before testing starts.",
           "Handled by our compliance team with external counsel.", "The same process our customers use today."]
CORE_TEXT = {"intended_purpose", "model_description", "deployment_context", "genuine_innovation", "consumer_benefit",
             "test_objectives", "human_oversight", "data_sources", "risk_assessment", "risk_mitigations"}


def _sentence(rng: random.Random, sector: str) -> str:
    kind = rng.randrange(6)
    audience = rng.choice(AUDIENCES)
    if kind == 0:
        return (f"{rng.choice(SUBJECTS)} {rng.choice(VERBS)} {rng.choice(OBJECTS[sector])} for {audience} "
                f"{rng.choice(METHODS)} {rng.choice(PURPOSES)}.")
    if kind == 1:
        return f"A {rng.choice(STAFF_ROLES)} reviews {rng.choice(['every', 'each declined', 'a sample of'])} " \
               f"{rng.choice(OBJECTS[sector])} before {audience} see the outcome."
    if kind == 2:
        return f"We expect it {rng.choice(PURPOSES)} for {audience}, measured by {rng.choice(METRICS)}."
    if kind == 3:
        return f"The main risks are {rng.choice(RISKS)} and {rng.choice(RISKS)}; we manage them through " \
               f"{rng.choice(MITIGATIONS)}."
    if kind == 4:
        return f"Training data comes from {rng.choice(DATA_SOURCES)} about {rng.choice(OBJECTS[sector])}."
    return f"Customers can ask for a person to look again at {rng.choice(OBJECTS[sector])} {rng.choice(METHODS)}."


class Writer:
    """Application text: each sector's sentences drawn from a pool, so words vary as real applications' do."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.pools = {sector: [_sentence(rng, sector) for _ in range(3_000)] for sector in SECTOR_SHARES}
        self.base = {section.key: {spec.name: valid_value(spec) for spec in section.fields if spec.only_if is None}
                     for section in SECTIONS}
        self.texts = [(section.key, spec.name) for section in SECTIONS for spec in section.fields
                      if spec.kind is FieldKind.TEXTAREA and spec.only_if is None]

    def answers(self, org: Org, system: System, contact: str) -> dict[str, Any]:
        rng, pool = self.rng, self.pools[org.sector]
        answers = {key: dict(values) for key, values in self.base.items()}
        for key, name in self.texts:
            answers[key][name] = (" ".join(rng.choices(pool, k=rng.randint(2, 3))) if name in CORE_TEXT
                                  else rng.choice(FILLERS))
        if rng.random() < 0.05:  # a rarer word, in about one application in 280 each
            answers["ai-system"]["deployment_context"] += f" It also uses {rng.choice(RARE_WORDS)} signals."
        answers["organisation"].update(legal_name=org.name, sector=org.sector, registration_number=org.registration,
                                       website=f"https://www.{org.slug}.example", dpo_email=f"dpo@{org.slug}.example")
        answers["contacts"].update(lead_contact_name=contact, signatory_name=contact,
                                   lead_contact_email=f"ai@{org.slug}.example")
        answers["ai-system"].update(system_name=system.name, ai_act_risk_class=system.risk_class)
        return answers


@dataclass
class Org:
    id: int
    name: str
    slug: str
    sector: str
    registration: str
    applicant_id: int = 0
    systems: list[System] = field(default_factory=list)


@dataclass
class System:
    name: str
    risk_class: str


@dataclass
class Staff:
    officers: list[int]
    deciders: list[int]
    leads: list[int]


@dataclass
class Seeded:
    """What the measurement needs to know about a seeded database."""

    officer_id: int
    lead_id: int
    other_officer_id: int
    open_reference: str
    middle_reference: str
    searched_organisation: str
    seconds: float


# --- seeding ------------------------------------------------------------------------------------------------------


def seed(app: Flask, cases: int, rng: random.Random, *, analyze: bool = True) -> Seeded:
    started = time.perf_counter()
    now = datetime.now(UTC)
    with app.app_context():
        version = current_version(db.session)  # publishes the bundled workflow (and its first audit event)
        checklist = template_in_force(db.session)  # and the bundled checklist
        db.session.commit()
        definition, version_id = definition_of(version), version.id
        checklist_items = [{"template_item_id": item.id, **{name: getattr(item, name) for name in ITEM_FIELD_NAMES}}
                           for item in checklist.items]
        checklist_id = checklist.id
        engine = db.engine
    password_hash = hash_password(PASSWORD)
    orgs = _organisations(rng, min(2_000, max(20, cases // 50)))
    lap = _Laps(f"{engine.dialect.name} {cases:,}")
    with engine.begin() as connection:
        staff = _insert_people(connection, orgs, password_hash, now)
        rows = _cases(rng, cases, orgs, staff, definition, version_id, now)
        checked = _checklist_counters(rows, len(checklist_items))
        _insert(connection, Case.__table__, rows)
        _insert_checklists(connection, rng, checked, checklist_id, checklist_items, now)
    lap("people, cases and open cases' checklists")
    with engine.begin() as connection, _SearchIndex(engine, connection) as index:
        _insert_applications(connection, rng, rows, now, index)
    lap("applications and search index")
    with engine.begin() as connection:
        _insert_assignments(connection, rng, rows, staff)
        _insert_conflicts(connection, rng, orgs, staff, now)
        _insert_audit_events(connection, rows, staff)
        years: dict[int, int] = {}
        for row in rows:
            year = int(row["reference"][4:8])
            years[year] = max(years.get(year, 0), int(row["reference"][9:]))
        _insert(connection, ReferenceCounter.__table__, [{"year": y, "last_number": n} for y, n in years.items()])
        if connection.dialect.name == "postgresql":
            for table in ("organisations", "users", "cases"):
                connection.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                                        f"(SELECT max(id) FROM {table}))"))
    lap("assignments, conflicts, audit events")
    if analyze:
        _analyze(engine)
        lap("analyze")
    open_rows = [row for row in rows if row["is_open"]]
    by_reference = sorted(row["reference"] for row in rows)
    return Seeded(officer_id=staff.officers[0], lead_id=staff.leads[0], other_officer_id=staff.officers[1],
                  open_reference=rng.choice(open_rows)["reference"], middle_reference=by_reference[len(rows) // 2],
                  searched_organisation=" ".join(orgs[0].name.split()[:2]), seconds=time.perf_counter() - started)


class _Laps:
    """Prints how long each step of the seed took (to stderr: the figures go to stdout)."""

    def __init__(self, label: str) -> None:
        self.label, self.last = label, time.perf_counter()

    def __call__(self, step: str) -> None:
        now = time.perf_counter()
        print(f"  [{self.label}] {step}: {now - self.last:.1f} s", file=sys.stderr, flush=True)
        self.last = now


def _insert(connection: Connection, table: Any, rows: list[dict[str, Any]]) -> None:
    """Many rows in the connection's transaction: COPY on PostgreSQL, executemany on SQLite."""
    if not rows:
        return
    if connection.dialect.name == "postgresql":
        columns = [column for column in table.columns if column.name in rows[0]]
        _copy(connection, table.name, [column.name for column in columns],
              ([Json(row[c.name]) if isinstance(c.type, JSON) else row[c.name] for c in columns] for row in rows))
        return
    for start in range(0, len(rows), BATCH):
        connection.execute(table.insert(), rows[start:start + BATCH])


def _copy(connection: Connection, table: str, columns: list[str], rows: Iterable[Sequence[Any]]) -> None:
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    with cursor, cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def _organisations(rng: random.Random, count: int) -> list[Org]:
    names: set[str] = set()
    orgs = []
    sectors, shares = list(SECTOR_SHARES), list(SECTOR_SHARES.values())
    while len(orgs) < count:
        sector = rng.choices(sectors, shares)[0]
        name = f"{rng.choice(ORG_WORDS)} {rng.choice(ORG_KINDS[sector])} {rng.choice(LEGAL_FORMS)}"
        if name in names:
            continue
        names.add(name)
        slug = re.sub(r"[^a-z]+", "-", name.lower()).strip("-")
        org = Org(id=len(orgs) + 2, name=name, slug=slug, sector=sector, registration=f"{rng.randrange(10**7):07d}")
        for _ in range(rng.choice([1, 1, 1, 2, 2, 3])):
            org.systems.append(System(f"{rng.choice(SYSTEM_WORDS)} {rng.choice(SYSTEM_KINDS)}",
                                      rng.choices(list(RISK_CLASSES), list(RISK_CLASSES.values()))[0]))
        orgs.append(org)
    return orgs


def _person(number: int) -> str:
    return f"{FIRST_NAMES[number % len(FIRST_NAMES)]} {LAST_NAMES[(number * 7) % len(LAST_NAMES)]}"


def _insert_people(connection: Connection, orgs: list[Org], password_hash: str, now: datetime) -> Staff:
    _insert(connection, Organisation.__table__,
            [{"id": 1, "name": "Sandbox Regulatory Authority", "kind": "regulator", "registration_number": None,
              "created_at": now - timedelta(days=2_000)}]
            + [{"id": o.id, "name": o.name, "kind": "applicant", "registration_number": o.registration,
                "created_at": now - timedelta(days=1_900)} for o in orgs])
    roles = ["case_officer"] * 12 + ["decision_maker"] * 4 + ["lead"] * 2 + ["admin"]
    users = [{"organisation_id": 1, "email": f"{role}.{n}@regulator.example", "full_name": _person(n), "role": role,
              "job_title": role.replace("_", " ").capitalize()} for n, role in enumerate(roles)]
    for org in orgs:
        users.append({"organisation_id": org.id, "email": f"applicant@{org.slug}.example",
                      "full_name": _person(org.id * 3), "role": "applicant", "job_title": "Head of compliance"})
    for number, user in enumerate(users, start=1):
        user.update(id=number, password_hash=password_hash, session_token=f"bench-session-{number}", is_active=True,
                    created_at=now - timedelta(days=1_900), password_changed_at=None, last_signed_in_at=None)
    for org, user in zip(orgs, users[len(roles):], strict=True):
        org.applicant_id = user["id"]
    _insert(connection, User.__table__, users)
    return Staff(officers=list(range(1, 13)), deciders=list(range(13, 17)), leads=[17, 18])


def _cases(rng: random.Random, count: int, orgs: list[Org], staff: Staff, definition: Any, version_id: int,
           now: datetime) -> list[dict[str, Any]]:
    open_count = min(OPEN_CAP, count // 2)
    open_states, open_shares = list(OPEN_STATES), [spec[0] for spec in OPEN_STATES.values()]
    org_weights = [1 / (rank + 50) for rank in range(len(orgs))]  # a few organisations apply often
    officer_weights = [3, 3, 2, 2, 2, 2, 2, 1, 1, 1, 1, 1]
    chosen_orgs = rng.choices(orgs, org_weights, k=count)
    rows = []
    for number, org in enumerate(chosen_orgs):
        if number < open_count:
            state = rng.choices(open_states, open_shares)[0]
            _share, clock, (low, high) = OPEN_STATES[state]
        else:
            state = rng.choices(list(CLOSED_STATES), list(CLOSED_STATES.values()))[0]
            clock, (low, high) = "stopped", (30, 5 * 365)
        submitted_at = now - timedelta(days=rng.uniform(low, high))
        submitted_on = submitted_at.astimezone(REGULATOR_TIMEZONE).date()
        activity_at = min(now, submitted_at + timedelta(days=rng.uniform(0, min(200, (now - submitted_at).days))))
        system = rng.choice(org.systems)
        officer = None if state == "submitted" or (state == "withdrawn" and rng.random() < 0.2) else \
            rng.choices(staff.officers, officer_weights)[0]
        total = 0 if state in ("submitted", "triage", "withdrawn", "lapsed") else rng.choice([36, 40, 44])
        outstanding = rng.randint(0, total) if state in ("assessment", "information_requested") else 0
        row = {
            "organisation_id": org.id, "workflow_version_id": version_id, "state": state,
            "return_state": rng.choice(["triage", "assessment"]) if state == "information_requested" else None,
            "version": rng.randint(3, 12), "created_by_id": org.applicant_id,
            "created_at": submitted_at - timedelta(days=rng.uniform(2, 60)), "updated_at": activity_at,
            "submitted_at": submitted_at, "clock_started_on": submitted_on,
            "clock_stopped_on": submitted_on + timedelta(days=rng.randint(20, CLOCK_DAYS)) if clock == "stopped"
            else None,
            "is_open": definition.is_open(state), "organisation_name": org.name, "system_name": system.name,
            "sector": org.sector, "risk_class": system.risk_class, "case_officer_id": officer,
            "decision_maker_id": rng.choice(staff.deciders) if state in HAS_DECIDER else None,
            "clock_state": clock, "deadline_on": None, "days_left_when_paused": None, "clock_sort_on": NO_DEADLINE,
            "checklist_total": total, "checklist_outstanding": outstanding, "last_activity_at": activity_at,
            "_system": system, "_org": org,
        }
        if clock == "running":
            deadline = submitted_on + timedelta(days=CLOCK_DAYS + rng.choice([0, 0, 0, 7, 14]))  # some were paused
            row.update(deadline_on=deadline, clock_sort_on=deadline)
        elif clock == "paused":
            days_left = rng.randint(1, 55)
            row.update(days_left_when_paused=days_left, clock_sort_on=PAUSED_BASE + timedelta(days=days_left))
        rows.append(row)
    rows.sort(key=lambda r: r["submitted_at"])
    per_year: dict[int, int] = {}
    for case_id, row in enumerate(rows, start=1):
        year = row["submitted_at"].astimezone(REGULATOR_TIMEZONE).year
        per_year[year] = per_year.get(year, 0) + 1
        row.update(id=case_id, reference=f"SBX-{year}-{per_year[year]:04d}")
    return rows


def _checklist_counters(rows: list[dict[str, Any]], items: int) -> list[dict[str, Any]]:
    """The open cases that have a checklist get the bundled template's item count (their rows are seeded);
    closed ones keep the counters _cases gave them. Returns the open cases with a checklist."""
    checked = [row for row in rows if row["is_open"] and row["checklist_total"]]
    for row in checked:
        row["checklist_outstanding"] = round(row["checklist_outstanding"] * items / row["checklist_total"])
        row["checklist_total"] = items
    return checked


def _insert_checklists(connection: Connection, rng: random.Random, rows: list[dict[str, Any]], template_id: int,
                       items: list[dict[str, Any]], now: datetime) -> None:
    """Each open case's own copy of the checklist, its first items rated by its officer (as the queue counts)."""
    _insert(connection, CaseChecklist.__table__, [{"case_id": row["id"], "template_id": template_id,
                                                   "copied_at": row["submitted_at"]} for row in rows])
    ratings, notes = ["met", "met", "met", "partly_met", "not_met", "not_applicable"], \
        ["Evidence reviewed; see the assessment note.", "Partly shown: more evidence asked for in the request."]
    batch: list[dict[str, Any]] = []
    for row in rows:
        rated = len(items) - row["checklist_outstanding"]
        rated_at = min(now, row["submitted_at"] + timedelta(days=rng.uniform(1, 30)))
        for position, item in enumerate(items):
            rating = rng.choice(ratings) if position < rated else None
            batch.append({**item, "case_id": row["id"], "version": 1, "rating": rating,
                          "rating_note": None if rating in (None, "met") else rng.choice(notes),
                          "rated_by_id": row["case_officer_id"] if rating else None,
                          "rated_at": rated_at if rating else None})
        if len(batch) >= 20_000:
            _insert(connection, CaseItem.__table__, batch)
            batch = []
    _insert(connection, CaseItem.__table__, batch)


def _insert_applications(connection: Connection, rng: random.Random, rows: list[dict[str, Any]], now: datetime,
                         index: _SearchIndex) -> None:
    writer = Writer(rng)
    for start in range(0, len(rows), BATCH):
        revisions, documents = [], []
        for row in rows[start:start + BATCH]:
            org, system = row["_org"], row["_system"]
            answers = writer.answers(org, system, _person(org.id * 3))
            declaration = {"signatory_name": _person(org.id * 3), "signatory_role": "Head of compliance",
                           "attested": True, "signed_by_user_id": org.applicant_id}
            revisions.append({"case_id": row["id"], "number": 1, "answers": answers, "declaration": declaration,
                              "reason": "submission", "created_at": row["submitted_at"],
                              "created_by_id": org.applicant_id})
            if row["state"] == "information_requested" or rng.random() < 0.1:  # answered an earlier request
                answers = {**answers, "data": {**answers["data"], "data_sources": answers["data"]["data_sources"]
                                               + " " + rng.choice(writer.pools[org.sector])}}
                revisions.append({"case_id": row["id"], "number": 2, "answers": answers, "declaration": {},
                                  "reason": "response to information request", "created_by_id": org.applicant_id,
                                  "created_at": min(now, row["submitted_at"] + timedelta(days=20))})
            documents.append((row["id"], *case_document(_Named(row), answers), bool(row["is_open"])))
        _insert(connection, ApplicationRevision.__table__, revisions)
        index.add(documents)


GIN_INDEXES = ("ix_case_search_document", "ix_case_search_open_document")


class _SearchIndex:
    """Writes the search index as index_case does. SQLite: in the seeding transaction. PostgreSQL: in two other
    connections (the cases are committed), so the server makes documents (to_tsvector, the slowest step of the
    seed) while Python writes the next batch; the GIN indexes are dropped first and built once at the end.
    Open cases go into the open cases' index too (a second FTS5 table; on PostgreSQL the is_open column)."""

    def __init__(self, engine: Engine, connection: Connection) -> None:
        self.engine, self.connection = engine, connection
        self.postgres = engine.dialect.name == "postgresql"
        self.pending: list[Future[None]] = []

    def __enter__(self) -> _SearchIndex:
        if self.postgres:
            with self.engine.begin() as connection:  # the migrations' own definitions, kept to make again
                self.gin_indexes = [connection.exec_driver_sql(f"SELECT pg_get_indexdef('{name}'::regclass)")
                                    .scalar_one() for name in GIN_INDEXES]
                for name in GIN_INDEXES:
                    connection.exec_driver_sql(f"DROP INDEX {name}")
            self.workers = ThreadPoolExecutor(max_workers=2)
        return self

    def add(self, documents: list[tuple[int, str, str, bool]]) -> None:
        if not self.postgres:
            rows = [(case_id, f"{heading}\n{body}", is_open) for case_id, heading, body, is_open in documents]
            self.connection.exec_driver_sql("INSERT INTO case_search (rowid, document) VALUES (?, ?)",
                                            [row[:2] for row in rows])
            open_rows = [row[:2] for row in rows if row[2]]
            if open_rows:  # (an empty list would run the statement once, without values)
                self.connection.exec_driver_sql("INSERT INTO case_search_open (rowid, document) VALUES (?, ?)",
                                                open_rows)
            return
        while len(self.pending) >= 2:  # keep memory flat: at most two batches waiting
            self.pending.pop(0).result()
        self.pending.append(self.workers.submit(self._index, documents))

    def _index(self, documents: list[tuple[int, str, str, bool]]) -> None:
        with self.engine.begin() as connection:
            connection.exec_driver_sql("CREATE TEMPORARY TABLE search_text (case_id integer, heading text,"
                                       " body text, is_open boolean) ON COMMIT DROP")
            _copy(connection, "search_text", ["case_id", "heading", "body", "is_open"],
                  ((case_id, words_only(heading), words_only(body), is_open)
                   for case_id, heading, body, is_open in documents))
            connection.exec_driver_sql(
                "INSERT INTO case_search (case_id, document, is_open) SELECT case_id, setweight(to_tsvector('simple',"
                " heading), 'A') || to_tsvector('simple', body), is_open FROM search_text")

    def __exit__(self, error_type: type[BaseException] | None, *_details: object) -> None:
        if not self.postgres:
            return
        self.workers.shutdown(wait=True)
        if error_type is not None:
            return
        for future in self.pending:
            future.result()
        with self.engine.begin() as connection:
            connection.exec_driver_sql("SET LOCAL maintenance_work_mem = '256MB'")
            for definition in self.gin_indexes:
                connection.exec_driver_sql(definition)


class _Named:
    """The three attributes of a case the search index reads (see case_document)."""

    def __init__(self, row: dict[str, Any]) -> None:
        self.reference, self.organisation_name, self.system_name = (
            row["reference"], row["organisation_name"], row["system_name"])


def _insert_assignments(connection: Connection, rng: random.Random, rows: list[dict[str, Any]], staff: Staff) -> None:
    assignments = []
    for row in rows:
        assigned_at = row["submitted_at"] + timedelta(days=rng.uniform(0.5, 5))
        for role, user_id in (("case_officer", row["case_officer_id"]), ("decision_maker", row["decision_maker_id"])):
            if user_id is None:
                continue
            lead = rng.choice(staff.leads)
            if rng.random() < 0.08:  # reassigned once
                assignments.append({"case_id": row["id"], "user_id": rng.choice(staff.officers), "role": role,
                                    "assigned_by_id": lead, "assigned_at": assigned_at, "declared_at": assigned_at,
                                    "ended_at": assigned_at + timedelta(days=3), "end_reason": "reassigned"})
                assigned_at += timedelta(days=3)
            assignments.append({"case_id": row["id"], "user_id": user_id, "role": role, "assigned_by_id": lead,
                                "assigned_at": assigned_at, "declared_at": assigned_at + timedelta(hours=2),
                                "ended_at": None, "end_reason": None})
    _insert(connection, CaseAssignment.__table__, assignments)


def _insert_conflicts(connection: Connection, rng: random.Random, orgs: list[Org], staff: Staff, now: datetime) -> None:
    """Each member of staff has declared a conflict with about 1% of organisations (never the searched one)."""
    declarations = []
    for user_id in staff.officers + staff.deciders + staff.leads:
        for org in rng.sample(orgs[1:], max(1, len(orgs) // 100)):
            declarations.append({"user_id": user_id, "organisation_id": org.id, "declared_at": now,
                                 "reason": "A close relative works in its compliance team."})
    _insert(connection, ConflictDeclaration.__table__, declarations)


def _insert_audit_events(connection: Connection, rows: list[dict[str, Any]], staff: Staff) -> None:
    """3-4 events per case, chained in time order onto the chain the workflow's publication started."""
    events: list[tuple[datetime, int | None, str, int, dict[str, Any]]] = []
    for row in rows:
        applicant, case_id = row["created_by_id"], row["id"]
        events.append((row["created_at"], applicant, "case.opened", case_id, {"workflow_version": 1,
                                                                             "state": "draft"}))
        events.append((row["submitted_at"], applicant, "case.submit", case_id,
                       {"from": "draft", "to": "submitted", "version": 2, "reference": row["reference"]}))
        if row["case_officer_id"] is not None:
            events.append((row["submitted_at"] + timedelta(days=1), staff.leads[case_id % 2], "case.assigned",
                           case_id, {"role": "case_officer", "user_id": row["case_officer_id"],
                                     "replaces_user_id": None}))
        if row["state"] in FINAL_ACTION:
            events.append((row["last_activity_at"], row["decision_maker_id"] or row["case_officer_id"],
                           f"case.{FINAL_ACTION[row['state']]}", case_id,
                           {"from": "assessment", "to": row["state"], "version": row["version"]}))
    events.sort(key=lambda e: e[0])
    head = connection.execute(text("SELECT last_seq, last_hash FROM audit_chain_head WHERE id = 1")).one()
    seq, previous = head.last_seq, head.last_hash
    table = AuditEvent.__table__
    for start in range(0, len(events), BATCH):
        batch = []
        for occurred_at, actor_id, action, case_id, details in events[start:start + BATCH]:
            seq += 1
            payload = {"seq": seq, "occurred_at": occurred_at.isoformat(timespec="microseconds"),
                       "actor_id": actor_id, "action": action, "object_type": "case", "object_id": str(case_id),
                       "case_id": case_id, "details": json.loads(canonical_json(details))}
            digest = chain_hash(previous, payload)
            batch.append({**payload, "occurred_at": occurred_at, "prev_hash": previous, "hash": digest})
            previous = digest
        _insert(connection, table, batch)
    connection.execute(text("UPDATE audit_chain_head SET last_seq = :seq, last_hash = :hash WHERE id = 1"),
                       {"seq": seq, "hash": previous})


def _analyze(engine: Engine) -> None:
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM (ANALYZE)"))
    else:
        with engine.begin() as connection:
            connection.execute(text("ANALYZE"))


# --- databases and apps --------------------------------------------------------------------------------------------


def _postgres_database(server_url: str, name: str) -> str:
    if name == "test" or not name.startswith("bench_queue"):
        raise SystemExit(f"refusing to drop the database {name!r}")
    plain = server_url.replace("postgresql+psycopg://", "postgresql://").rstrip("/")
    with psycopg.connect(f"{plain}/postgres", autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')
    return f"{server_url.rstrip('/')}/{name}"


def _make_app(database_url: str, instance: Path) -> Flask:
    app = create_app({"DATABASE_URL": database_url, "SANDBOX_ENV": "development", "SANDBOX_INSTANCE_PATH": instance,
                      "SECRET_KEY": "bench-secret-key-not-for-production"})
    with app.app_context():
        upgrade()
    return app


@dataclass
class Target:
    """One seeded database, its app, a signed-in client per role and a statement counter."""

    cases: int
    app: Flask
    seeded: Seeded
    clients: dict[str, FlaskClient] = field(default_factory=dict)
    statements: list[int] = field(default_factory=lambda: [0])
    urls: dict[str, str] = field(default_factory=dict)


def _target(kind: str, cases: int, args: argparse.Namespace, folder: Path) -> Target:
    if kind == "sqlite":
        url = f"sqlite:///{folder / f'queue-{cases}.db'}"
    else:
        url = _postgres_database(args.postgres_url, "bench_queue" if cases != SMALL else "bench_queue_1000")
    app = _make_app(url, folder / f"instance-{kind}-{cases}")
    seeded = seed(app, cases, random.Random(RANDOM_SEED), analyze=args.analyze)
    target = Target(cases=cases, app=app, seeded=seeded)
    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", lambda *_args: _count(target))
        if cases <= SMALL:
            report = verify_chain(db.session)
            assert report.is_intact, report.problem
        emails = {role: db.session.get_one(User, user_id).email
                  for role, user_id in (("officer", seeded.officer_id), ("lead", seeded.lead_id))}
    for role, email in emails.items():
        target.clients[role] = _signed_in(app, email)
    return target


def _signed_in(app: Flask, email: str) -> FlaskClient:
    """A client signed in through the sign-in form, as a browser would be."""
    client = app.test_client()
    token = CSRF.search(client.get("/sign-in").get_data(as_text=True))
    response = client.post("/sign-in", data={"email": email, "password": PASSWORD,
                                             "csrf_token": token.group(1) if token else ""})
    if response.status_code != 303:
        raise SystemExit(f"signing in {email} failed ({response.status_code})")
    return client


def _count(target: Target) -> None:
    target.statements[0] += 1


# --- the views -----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class View:
    name: str
    url: Callable[[Target], str]
    is_search: bool = False


def views(today: date) -> list[View]:
    month_end = today.replace(day=1) - timedelta(days=1)
    month = f"submitted_from={month_end.replace(day=1).isoformat()}&submitted_to={month_end.isoformat()}"

    def fixed(query: str) -> Callable[[Target], str]:
        return lambda _target: f"/queue/{query}"

    listed = [View("default (open, by deadline)", fixed("")), View("state=assessment", fixed("?state=assessment")),
              View("state=all", fixed("?state=all")), View("sector=healthcare", fixed("?sector=healthcare")),
              View("risk=high_risk", fixed("?risk=high_risk")), View("risk=prohibited", fixed("?risk=prohibited")),
              View("assignee=<officer>", lambda t: f"/queue/?assignee={t.seeded.other_officer_id}"),
              View("assignee=mine", fixed("?assignee=mine")),
              View("assignee=unassigned", fixed("?assignee=unassigned")),
              View("overdue=1", fixed("?overdue=1")), View("submitted last month", fixed(f"?{month}"))]
    for sort in ("deadline", "reference", "organisation", "system", "state", "checklist", "activity", "submitted"):
        listed.append(View(f"sort={sort} asc", fixed(f"?sort={sort}&dir=asc")))
    listed += [View("sort=deadline desc", fixed("?sort=deadline&dir=desc")),
               View("sort=activity (desc)", fixed("?sort=activity")),
               View("sort=submitted (desc)", fixed("?sort=submitted")),
               View("deep page (page 41, or last full)", lambda t: t.urls["deep"]),
               View("deep page, all by reference", lambda t: "/queue/?state=all&sort=reference&after="
                    + encode_cursor([t.seeded.middle_reference]))]
    searches = [("organisation name", lambda t: t.seeded.searched_organisation),
                ("reference", lambda t: t.seeded.open_reference), ("system-name word", lambda _t: "Sentinel"),
                ("rarer word", lambda _t: "telematics"), ("common word", lambda _t: "customers"),
                ("two words", lambda _t: "claims fraud")]
    for label, words in searches:
        listed.append(View(f"search: {label}", lambda t, words=words: f"/queue/?q={words(t).replace(' ', '+')}",
                           is_search=True))
    listed.append(View("search: all states, organisation", lambda t: "/queue/?state=all&q="
                       + t.seeded.searched_organisation.replace(" ", "+"), is_search=True))
    return listed


NEXT_LINK = re.compile(r'href="([^"]+)" rel="next"')
REFERENCE = re.compile(r"SBX-\d{4}-\d{4,5}")
MATCHES = re.compile(r"More than ([\d,]+) cases match|([\d,]+) cases? match")


def _follow_pages(target: Target, pages: int) -> str:
    """The default view's page `pages` in, by its "next" links; or, on a smaller queue, its last full page."""
    url, full_page = "/queue/", "/queue/"
    for _ in range(pages):
        found = NEXT_LINK.search(target.clients["lead"].get(url).get_data(as_text=True))
        if not found:  # `url` is the last page, perhaps not full: the one before it is
            return full_page
        full_page, url = url, html.unescape(found.group(1))
    return url


@dataclass
class Figures:
    p50: float
    p95: float
    statements: int
    rows: int
    matches: str


def _request(target: Target, role: str, url: str) -> tuple[float, int, str]:
    target.statements[0] = 0
    started = time.perf_counter()
    response = target.clients[role].get(url)
    elapsed = (time.perf_counter() - started) * 1000
    if response.status_code != 200:
        raise SystemExit(f"{url} answered {response.status_code}: {response.get_data(as_text=True)[:300]}")
    return elapsed, target.statements[0], response.get_data(as_text=True)


def _p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[math.ceil(0.95 * len(ordered)) - 1]


def measure(view: View, targets: list[Target], repeat: int) -> dict[int, Figures]:
    """Each request in turn at each size and role; a size's figures are its heavier role's."""
    times: dict[tuple[int, str], list[float]] = {}
    statements: dict[int, int] = {}
    pages: dict[tuple[int, str], str] = {}
    gc.collect()
    for round_number in range(3 + repeat):
        for target in targets:
            for role in target.clients:
                elapsed, count, page = _request(target, role, view.url(target))
                if round_number >= 3:
                    times.setdefault((target.cases, role), []).append(elapsed)
                    statements[target.cases] = max(statements.get(target.cases, 0), count)
                    pages[(target.cases, role)] = page
    figures = {}
    for target in targets:
        role = max(target.clients, key=lambda r, t=target: _p95(times[(t.cases, r)]))
        samples = times[(target.cases, role)]
        page = pages[(target.cases, role)]
        table = page.split('<tbody class="govuk-table__body">', 1)[1] if "govuk-table__body" in page else ""
        found = MATCHES.search(page)
        matches = (f">{found.group(1)}" if found.group(1) else found.group(2)) if found else "?"
        figures[target.cases] = Figures(statistics.median(samples), _p95(samples), statements[target.cases],
                                        len(set(REFERENCE.findall(table))), matches)
    return figures


# --- running and reporting -----------------------------------------------------------------------------------------


def run_database(kind: str, args: argparse.Namespace, folder: Path) -> dict[str, Any]:
    sizes = [SMALL, args.cases] if args.cases != SMALL else [SMALL]
    targets = []
    for size in sizes:
        print(f"[{kind}] migrating and seeding {size:,} cases ...", file=sys.stderr, flush=True)
        targets.append(_target(kind, size, args, folder))
        print(f"[{kind}] seeded {size:,} cases in {targets[-1].seeded.seconds:.1f} s", file=sys.stderr, flush=True)
    for target in targets:
        target.urls["deep"] = _follow_pages(target, 40)
    results = []
    for view in views(regulator_today()):
        results.append((view, measure(view, targets, args.repeat)))
        print(f"[{kind}] measured {view.name}", file=sys.stderr, flush=True)
    return _report(kind, targets, results)


def _report(kind: str, targets: list[Target], results: list[tuple[View, dict[int, Figures]]]) -> dict[str, Any]:
    small, large = targets[0].cases, targets[-1].cases
    print(f"\n{kind}: {large:,} cases seeded in {targets[-1].seeded.seconds:.1f} s "
          f"(1,000 in {targets[0].seeded.seconds:.1f} s); times in ms, the heavier of officer and lead")
    print(f"{'view':34} {'rows':>4} {'matches':>7} {'p50':>6} {'p95':>6} {'stmts':>5} | "
          f"{'rows':>4} {'matches':>7} {'p50':>6} {'p95':>6} {'stmts':>5} | growth")
    print(f"{'':34} {'at ' + format(small, ','):>38} | {'at ' + format(large, ','):>38} |")
    growth: list[float] = []
    for view, figures in results:
        a, b = figures[small], figures[large]
        ratio = b.p95 / a.p95
        growth.append(ratio)
        flag = " <-- misses" if (b.p95 > (SEARCH_TARGET_MS if view.is_search else TARGET_MS)
                                 or b.statements > TARGET_STATEMENTS or ratio > TARGET_GROWTH) else ""
        print(f"{view.name:34} {a.rows:4} {a.matches:>7} {a.p50:6.1f} {a.p95:6.1f} {a.statements:5} | "
              f"{b.rows:4} {b.matches:>7} {b.p50:6.1f} {b.p95:6.1f} {b.statements:5} | {ratio:5.2f}{flag}")
    at_large = [(view, figures[large]) for view, figures in results]
    searches = [view.is_search for view, _figures in results]
    return {"cases": large, "seed_seconds": round(targets[-1].seeded.seconds, 1),
            "p95_ms_max": round(max(f.p95 for view, f in at_large if not view.is_search), 1),
            "statements_max": max(f.statements for _view, f in at_large),
            "search_p95_ms": round(max(f.p95 for view, f in at_large if view.is_search), 1),
            "growth_ratio": round(max(growth), 2),
            "listing_growth_ratio": round(max(g for g, s in zip(growth, searches, strict=True) if not s), 2),
            "search_growth_ratio": round(max(g for g, s in zip(growth, searches, strict=True) if s), 2)}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--cases", type=int, default=100_000, help="cases at the large size (default 100,000)")
    parser.add_argument("--repeat", type=int, default=40, help="timed requests per view, size and role")
    parser.add_argument("--databases", default="sqlite,postgresql", help="comma-separated: sqlite, postgresql")
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES_URL, help="the server (no database name)")
    parser.add_argument("--keep", action="store_true", help="keep the SQLite files (their folder is printed)")
    parser.add_argument("--no-analyze", dest="analyze", action="store_false",
                        help="skip ANALYZE after seeding (to see the plans a database without statistics gets)")
    args = parser.parse_args(argv)
    folder = Path(tempfile.mkdtemp(prefix="bench-queue-"))
    summary = {}
    try:
        for kind in args.databases.split(","):
            summary[kind] = run_database(kind.strip(), args, folder)
    finally:
        if args.keep:
            print(f"SQLite files kept in {folder}", file=sys.stderr)
        else:
            shutil.rmtree(folder, ignore_errors=True)
    print(json.dumps(summary))


if __name__ == "__main__":
    main()

