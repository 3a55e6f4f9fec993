"""The leads' dashboard: its figures are exact for a hand-made set of cases, and only leads, decision makers
and administrators may see it; every chart has a text alternative."""

from __future__ import annotations

import itertools
import re
from datetime import UTC, date, datetime, timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy import event

from sandbox.accounts.conflicts import declare_conflict
from sandbox.accounts.models import Organisation, OrganisationKind, User
from sandbox.cases.models import Case, CaseTransition
from sandbox.core.permissions import Role
from sandbox.decisions.models import Decision
from sandbox.extensions import db
from sandbox.reviews.statistics import dashboard_figures, nearest_rank
from sandbox.workflow.engine import NO_DEADLINE, PAUSED_BASE
from sandbox.workflow.versions import current_version, definition_of
from tests.factories import make_organisation, make_user, sign_in

TODAY = date(2026, 3, 2)  # a Monday; no Hong Kong holiday between 5 January and 2 March but Lunar New Year
_numbers = itertools.count(1)


def hk(day: date, hour: int = 10) -> datetime:
    """`hour` o'clock in Hong Kong (UTC+8) on `day`, as UTC."""
    return datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(hours=hour - 8)


def make_case(organisation: Organisation, state: str, *, submitted_on: date = date(2026, 2, 2),
              officer: User | None = None, deadline_on: date | None = None, paused: bool = False) -> Case:
    version = current_version(db.session)
    if deadline_on is not None:
        clock_state, sort_on = "running", deadline_on
    else:
        clock_state, sort_on = ("paused", PAUSED_BASE) if paused else ("stopped", NO_DEADLINE)
    case = Case(organisation_id=organisation.id, organisation_name=organisation.name, workflow_version=version,
                state=state, reference=f"SBX-2026-{next(_numbers):04d}", submitted_at=hk(submitted_on),
                clock_started_on=submitted_on, is_open=definition_of(version).is_open(state),
                case_officer_id=officer.id if officer else None, clock_state=clock_state, deadline_on=deadline_on,
                clock_sort_on=sort_on)
    db.session.add(case)
    db.session.flush()
    return case


def decide(case: Case, decider: User, decided_at: datetime, outcome: str = "admitted") -> Decision:
    transition = CaseTransition(case_id=case.id, action="admit", from_state="decision_pending", to_state=case.state,
                                actor_id=decider.id)
    db.session.add(transition)
    db.session.flush()
    decision = Decision(case_id=case.id, decision_maker_id=decider.id, outcome=outcome, transition_id=transition.id,
                        submitted_at=case.submitted_at, decided_at=decided_at)
    db.session.add(decision)
    db.session.flush()
    return decision


@pytest.fixture
def world():
    regulator = make_organisation(OrganisationKind.REGULATOR)
    firm, conflicted_firm = make_organisation(name="Aurora Credit"), make_organisation(name="Beacon Health")
    people = {role: make_user(role, regulator) for role in Role if role.is_staff}
    olivia = make_user(Role.CASE_OFFICER, regulator, full_name="Olivia Wong")
    omar = make_user(Role.CASE_OFFICER, regulator, full_name="Omar Chan")
    declare_conflict(db.session, people[Role.LEAD], conflicted_firm.id, "My brother runs it.")
    decider = people[Role.DECISION_MAKER]
    # Five first decisions, Monday to Monday, 1 to 5 weeks after submission: 5, 10, 15, 20, 25 working days.
    decided = []
    for weeks in range(1, 6):
        case = make_case(firm, "closed", submitted_on=date(2026, 1, 5))
        decide(case, decider, hk(date(2026, 1, 5) + timedelta(weeks=weeks)))
        decided.append(case)
    decide(decided[0], decider, hk(date(2026, 2, 16)), "rejected")  # a later decision: not the first
    decide(make_case(firm, "assessment", submitted_on=date(2026, 1, 5)), decider, hk(date(2026, 1, 6)), "sent_back")
    decide(make_case(firm, "closed", submitted_on=date(2024, 12, 2)), decider, hk(date(2025, 1, 6)))  # too old
    cases = {
        "a": make_case(firm, "triage", officer=olivia, deadline_on=date(2026, 2, 20)),
        "b": make_case(firm, "assessment", officer=olivia, deadline_on=date(2026, 2, 27)),
        "c": make_case(firm, "assessment", officer=olivia, deadline_on=TODAY),  # due today: not overdue yet
        "d": make_case(firm, "information_requested", officer=omar, paused=True),
        "f": make_case(conflicted_firm, "submitted", deadline_on=date(2026, 1, 30)),
        "closed": make_case(firm, "rejected", officer=omar),
    }
    db.session.flush()
    return {"people": people, "olivia": olivia, "omar": omar, "cases": cases}


def test_nearest_rank_is_the_smallest_value_reaching_the_percentage():
    from collections import Counter

    assert nearest_rank(Counter({5: 1, 10: 1, 15: 1, 20: 1, 25: 1}), 50) == 15
    assert nearest_rank(Counter({5: 1, 10: 1, 15: 1, 20: 1, 25: 1}), 90) == 25
    assert nearest_rank(Counter({3: 9, 40: 1}), 90) == 3
    assert nearest_rank(Counter({3: 8, 40: 2}), 90) == 40
    assert nearest_rank(Counter(), 50) is None


def test_dashboard_figures_for_a_hand_made_set_are_exact(world):
    figures = dashboard_figures(db.session, TODAY)
    assert [(s.state, s.label, s.count) for s in figures.open_by_state] == [
        ("submitted", "Submitted", 1), ("triage", "Triage", 1), ("information_requested", "Information requested", 1),
        ("assessment", "Assessment", 3)]  # workflow order; the sent-back case is in assessment too
    assert figures.open_cases == 6 and figures.unassigned_cases == 2
    ttd = figures.days_to_decision
    assert ttd.decisions == 5  # first final decision per case, in the last 365 days; send-backs left out
    assert (ttd.median_calendar_days, ttd.p90_calendar_days) == (21, 35)
    assert (ttd.median_working_days, ttd.p90_working_days) == (15, 25)
    assert figures.overdue_cases == 3
    assert [(c.reference, c.days_overdue) for c in figures.most_overdue] == [
        (world["cases"]["f"].reference, 18),  # 30 January to 2 March: 18 working days (Lunar New Year skipped)
        (world["cases"]["a"].reference, 6), (world["cases"]["b"].reference, 1)]
    assert figures.most_overdue[1].officer_name == "Olivia Wong" and figures.most_overdue[0].officer_name is None
    loads = {load.user.full_name: (load.open_cases, load.overdue_cases) for load in figures.workload}
    assert loads["Olivia Wong"] == (3, 2) and loads["Omar Chan"] == (1, 0)


def test_monthly_series_covers_twelve_months_by_hong_kong_date(world):
    figures = dashboard_figures(db.session, TODAY)
    months = {m.month: m for m in figures.months}
    assert [m.month for m in figures.months] == [date(2025, 4, 1), date(2025, 5, 1), date(2025, 6, 1),
                                                 date(2025, 7, 1), date(2025, 8, 1), date(2025, 9, 1),
                                                 date(2025, 10, 1), date(2025, 11, 1), date(2025, 12, 1),
                                                 date(2026, 1, 1), date(2026, 2, 1), date(2026, 3, 1)]
    january, february = months[date(2026, 1, 1)], months[date(2026, 2, 1)]
    assert (january.decisions, january.median_calendar_days, january.median_working_days) == (3, 14, 10)
    assert (february.decisions, february.median_calendar_days, february.median_working_days) == (2, 28, 20)
    assert (january.submitted, february.submitted) == (6, 6)
    # Half past one in the morning of 1 March in Hong Kong is still 28 February in UTC: it counts in March.
    case = make_case(make_organisation(), "admitted", submitted_on=date(2026, 2, 2))
    case.submitted_at = datetime(2026, 2, 28, 17, 30, tzinfo=UTC)
    decide(case, world["people"][Role.DECISION_MAKER], datetime(2026, 2, 28, 17, 30, tzinfo=UTC))
    march = {m.month: m for m in dashboard_figures(db.session, TODAY).months}[date(2026, 3, 1)]
    assert (march.submitted, march.decisions) == (1, 1)


def test_most_overdue_list_leaves_out_cases_the_viewer_is_conflicted_on(world):
    lead = world["people"][Role.LEAD]
    figures = dashboard_figures(db.session, TODAY, viewer_id=lead.id)
    assert figures.overdue_cases == 3
    assert [c.reference for c in figures.most_overdue] == [world["cases"]["a"].reference,
                                                           world["cases"]["b"].reference]


def test_dashboard_figures_take_a_fixed_number_of_queries(world):
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args):
        statements.append(statement)

    engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        dashboard_figures(db.session, TODAY)
        few = len(statements)
        for _ in range(20):
            make_case(make_organisation(), "assessment", deadline_on=date(2026, 1, 2))
        statements.clear()
        dashboard_figures(db.session, TODAY)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert len(statements) <= few <= 12


def test_dashboard_with_no_cases_at_all_renders(client: FlaskClient):
    lead = make_user(Role.LEAD)
    sign_in(client, lead)
    page = client.get("/dashboard/").get_data(as_text=True)
    assert "There are no open cases." in page and "No open case is past its statutory deadline." in page


@pytest.mark.parametrize("role", [Role.LEAD, Role.DECISION_MAKER, Role.ADMIN])
def test_dashboard_shows_figures_charts_and_links_to_leads_deciders_and_admins(client: FlaskClient, world, role):
    sign_in(client, world["people"][role])
    response = client.get("/dashboard/")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    olivia = world["olivia"]
    assert f'href="/queue/?assignee={olivia.id}"' in page
    assert f'href="/queue/?assignee={olivia.id}&amp;overdue=1"' in page
    assert f'href="/cases/{world["cases"]["a"].id}"' in page
    assert "Olivia Wong" in page and "Omar Chan" in page


def test_every_chart_has_a_text_alternative(client: FlaskClient, world):
    sign_in(client, world["people"][Role.LEAD])
    page = client.get("/dashboard/").get_data(as_text=True)
    charts = re.findall(r"<svg\b[^>]*>.*?</svg>", page, re.S)
    assert len(charts) == 4
    for chart in charts:
        labelled = re.search(r'role="img" aria-labelledby="([\w-]+)-title \1-desc"', chart)
        assert labelled, chart[:200]
        assert re.search(rf'<title id="{labelled.group(1)}-title">[^<]+</title>', chart)
        assert re.search(rf'<desc id="{labelled.group(1)}-desc">[^<]+</desc>', chart)
    assert "Triage: 1; Information requested: 1; Assessment: 3." in page
    assert "January 2026: 3;" in page and "<table" in page
    assert "style=" not in page.split("<main", 1)[1]  # the content-security policy refuses inline styles


@pytest.mark.parametrize("role", [Role.CASE_OFFICER, Role.APPLICANT])
def test_dashboard_is_refused_to_case_officers_and_applicants(client: FlaskClient, role):
    sign_in(client, make_user(role))
    assert client.get("/dashboard/").status_code == 403


def test_dashboard_asks_a_visitor_to_sign_in(client: FlaskClient):
    response = client.get("/dashboard/")
    assert response.status_code in (302, 303) and "/sign-in" in response.headers["Location"]
