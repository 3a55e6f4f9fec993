"""Compliance checklists in the browser, on the demo data: the administrator changes an item in a draft (a
mistake first), publishes version 2; the applicant finds the checklist from the status page, filters it by
regime and self-assesses an item. Screenshots of each step are saved (SANDBOX_SCREENSHOT_DIR)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from sandbox.cases.models import Case
from sandbox.checklists.models import CaseItem, ChecklistTemplate, TemplateStatus
from sandbox.extensions import db
from tests.e2e.conftest import BrowserProblems
from tests.e2e.test_review_day import sign_in, sign_out, success

pytestmark = pytest.mark.browser


def read(statement):
    values = db.session.scalars(statement).all()
    db.session.commit()  # on SQLite an open transaction of the test would hold the live server's lock
    return values


def test_administrator_publishes_version_2_and_applicant_self_assesses(
        page: Page, demo_data: None, browser_problems: BrowserProblems, screenshot: Callable[[Page, str], Path]):
    sign_in(page, "admin@regulator.example")
    page.get_by_role("link", name="Checklists").first.click()
    expect(page.locator("main")).to_contain_text("In force")
    screenshot(page, "checklists-01-versions")
    page.get_by_role("button", name="Start a new draft").click()
    expect(page.locator("h1")).to_have_text("Draft version 2")
    page.locator("#item-GOV-01").get_by_role("link", name="Change").click()

    page.locator("#title").fill("")
    page.get_by_role("button", name="Save the item").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter the item's title")
    screenshot(page, "checklists-02-item-error")
    page.locator("#title").fill("Named accountable executive")
    page.locator("#provision-5-regime").select_option("fca_consumer_duty")
    page.locator("#provision-5-citation").fill("PRIN 2A.1")
    page.get_by_role("button", name="Save the item").click()
    expect(success(page)).to_contain_text("GOV-01 has been saved in the draft")
    expect(page.locator("#item-GOV-01")).to_contain_text("UK FCA Consumer Duty (PRIN 2A): PRIN 2A.1")
    page.get_by_label("Version label").fill("2027.1")
    page.get_by_role("button", name="Publish version 2").click()
    expect(success(page)).to_contain_text("Version 2 is published")
    assert read(select(ChecklistTemplate.version_label).where(
        ChecklistTemplate.status == TemplateStatus.PUBLISHED.value, ChecklistTemplate.version == 2)) == ["2027.1"]
    sign_out(page)

    # The applicant: a case in assessment keeps version 1 and its wording.
    sign_in(page, "carla@beacon.example")
    (case_id,) = read(select(Case.id).where(Case.system_name == "TriageMate"))
    page.goto(f"/applications/{case_id}")
    page.get_by_role("link", name="Compliance checklist: 0 of 54 items self-assessed").click()
    expect(page.locator("#item-GOV-01")).to_contain_text("Named accountable senior manager")
    page.get_by_label("Show the items that cite").select_option("gdpr")
    page.get_by_role("button", name="Apply").click()
    expect(page.locator("main")).to_contain_text("items cite this regime")
    screenshot(page, "checklists-03-applicant-filtered")
    page.locator("#item-DATA-04 h3 a").click()
    page.get_by_label("How your organisation meets this item").fill("Our DPIA was approved on 2 March 2026.")
    screenshot(page, "checklists-04-applicant-item")
    page.get_by_role("button", name="Save your self-assessment").click()
    expect(success(page)).to_contain_text("Your self-assessment of DATA-04 has been saved")
    expect(page.locator("#item-DATA-04")).to_contain_text("Statement given")
    assert read(select(CaseItem.statement).where(CaseItem.case_id == case_id, CaseItem.code == "DATA-04")) == [
        "Our DPIA was approved on 2 March 2026."]
    assert browser_problems.unexpected() == []
