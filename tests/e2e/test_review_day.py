"""A case officer's day and a decision maker's decision, in the browser, on the demo data.

The officer filters the queue, picks up a new case (declaring no conflict), asks the firm for information,
then takes a case in triage through assessment to a recommendation. The decision maker finds the case
waiting for them and admits it with conditions. Screenshots of each step are saved (SANDBOX_SCREENSHOT_DIR).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from sandbox.cases.models import Case
from sandbox.decisions.models import Decision
from sandbox.demo import DEMO_PASSWORD
from sandbox.extensions import db
from sandbox.reviews.models import InformationRequest, Recommendation
from sandbox.workflow.engine import regulator_today
from tests.e2e.conftest import BrowserProblems

pytestmark = pytest.mark.browser


def sign_in(page: Page, email: str) -> None:
    page.goto("/sign-in")
    page.get_by_label("Email address", exact=True).fill(email)
    page.get_by_label("Password", exact=True).fill(DEMO_PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in", exact=True).click()


def sign_out(page: Page) -> None:
    with page.expect_navigation():
        page.get_by_role("button", name="Sign out").click()


def fill_date(page: Page, prefix: str, day) -> None:
    page.locator(f"#{prefix}-day").fill(str(day.day))
    page.locator(f"#{prefix}-month").fill(str(day.month))
    page.locator(f"#{prefix}-year").fill(str(day.year))


def success(page: Page):
    return page.locator(".govuk-notification-banner--success")


def case_named(system_name: str) -> dict:
    """What the database says about a case now, read in a transaction that ends at once (on SQLite an open
    transaction of the test would hold the lock the live server's requests wait for)."""
    db.session.expire_all()
    case = db.session.scalars(select(Case).where(Case.system_name == system_name)).one()
    facts = {"id": case.id, "reference": case.reference, "state": case.state, "clock_state": case.clock_state}
    db.session.commit()
    return facts


def read(statement):
    values = db.session.scalars(statement).all()
    db.session.commit()
    return values


def test_case_officer_day_then_decision_maker_admits(page: Page, demo_data: None, browser_problems: BrowserProblems,
                                                     screenshot: Callable[[Page, str], Path]):
    # The officer: the queue, filtered to new cases nobody has yet.
    sign_in(page, "officer1@regulator.example")
    page.get_by_role("link", name="Review queue").first.click()
    page.get_by_label("Status").select_option(label="Submitted")
    page.get_by_label("Case officer").select_option(label="Unassigned")
    page.get_by_role("button", name="Apply filters").click()
    assert "state=submitted" in page.url and "assignee=unassigned" in page.url  # the view is in the URL
    rows = page.locator(".app-queue-table tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Beacon Symptom Checker")
    screenshot(page, "review-01-queue-filtered")

    # Pick it up, declaring no conflict of interest: triage starts.
    rows.first.get_by_role("link").first.click()
    page.get_by_label("I have no conflict of interest with").check()
    page.get_by_role("button", name="Pick up this case").click()
    expect(success(page)).to_be_visible()
    expect(page.locator(".app-case-header, main").first).to_contain_text("Triage")
    screenshot(page, "review-02-picked-up")

    # Ask for information: two questions, due in 14 days; the clock stops.
    page.get_by_role("link", name="Request information").click()
    page.get_by_label("Question 1", exact=False).first.fill("Who can switch the symptom checker off, and how fast?")
    page.locator("#question-2").fill("Which clinicians review the advice it gives?")
    fill_date(page, "due_on", regulator_today() + timedelta(days=14))
    screenshot(page, "review-03-information-request")
    page.get_by_role("button", name="Send request").click()
    expect(success(page)).to_be_visible()
    expect(page.locator("main")).to_contain_text("Information requested")
    checker = case_named("Beacon Symptom Checker")
    assert checker["state"] == "information_requested" and checker["clock_state"] == "paused"
    requests = read(select(InformationRequest.due_on).where(InformationRequest.case_id == checker["id"]))
    assert requests == [regulator_today() + timedelta(days=14)]
    screenshot(page, "review-04-clock-stopped")

    # A case already in triage with this officer: start the assessment, then recommend admission.
    page.goto("/queue/?assignee=mine&state=triage")
    page.get_by_role("link", name=case_named("Radiology Assist")["reference"]).click()
    page.get_by_role("button", name="Start assessment").click()
    expect(success(page)).to_be_visible()
    page.get_by_role("link", name="Make a recommendation").click()
    page.get_by_label("Admit with conditions").check()
    page.get_by_label("Reasons", exact=True).fill("Meets the five eligibility criteria; safeguards are credible.")
    page.locator("#conditions").fill("Radiologist signs off every report\nMonthly report on disagreements")
    start = regulator_today() + timedelta(days=30)
    fill_date(page, "start_on", start)
    fill_date(page, "end_on", start + timedelta(days=180))
    page.locator("#max_customers").fill("2000")
    page.locator("#customer_types").fill("Patients of two partner clinics")
    page.locator("#max_exposure").fill("1")
    screenshot(page, "review-05-recommendation")
    page.get_by_role("button", name="Send recommendation").click()
    expect(success(page)).to_be_visible()
    radiology = case_named("Radiology Assist")
    assert radiology["state"] == "decision_pending"
    assert read(select(Recommendation.outcome).where(Recommendation.case_id == radiology["id"])) == ["admit"]
    sign_out(page)

    # The decision maker: the case waiting for them (assigned by the demo), admitted with conditions.
    sign_in(page, "decider@regulator.example")
    page.goto("/queue/?assignee=mine&state=decision_pending")
    screenshot(page, "review-06-decider-queue")
    affordability = case_named("Affordability Checker")
    page.get_by_role("link", name=affordability["reference"]).click()
    page.get_by_role("link", name="Record the decision").click()
    screenshot(page, "review-07-decision-form")
    page.get_by_label("Admit with conditions").check()
    page.get_by_role("button", name="Record decision").click()
    expect(success(page)).to_be_visible()
    screenshot(page, "review-08-decided")
    affordability = case_named("Affordability Checker")
    assert affordability["state"] == "admitted"
    decisions = read(select(Decision).where(Decision.case_id == affordability["id"]))
    assert [d.outcome for d in decisions] == ["admitted"]
    assert browser_problems.unexpected() == []
