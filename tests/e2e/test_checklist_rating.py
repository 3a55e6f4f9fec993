"""A case officer rates a full compliance checklist in the browser, item after item, on the demo data.

The case is TriageMate (in assessment with Olivia Wong, nothing rated yet). She filters the checklist by regime,
then rates every item with "Save and go to the next item not rated"; a "not met" without a note is refused
with a message and saved once she explains. At the end the case page says every mandatory item is rated.
Screenshots of each step are saved (SANDBOX_SCREENSHOT_DIR).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import func, select

from sandbox.checklists.models import CaseItem
from sandbox.extensions import db
from tests.e2e.test_review_day import case_named, read, sign_in, success

pytestmark = pytest.mark.browser


def test_case_officer_rates_a_full_checklist(page: Page, demo_data: None, browser_problems,
                                             screenshot: Callable[[Page, str], Path]):
    triagemate = case_named("TriageMate")
    total = read(select(func.count()).select_from(CaseItem).where(CaseItem.case_id == triagemate["id"]))[0]
    assert total >= 40
    sign_in(page, "officer2@regulator.example")
    page.goto(f"/cases/{triagemate['id']}")
    expect(page.locator("#checklist")).to_contain_text(f"0 of {total} items rated")
    page.get_by_role("link", name="Open the compliance checklist").click()
    screenshot(page, "checklist-01-list")

    page.get_by_label("Regime").select_option(label="EU General Data Protection Regulation (Regulation (EU) 2016/679)")
    page.get_by_role("button", name="Apply").click()
    assert "regime=gdpr" in page.url
    filtered = page.locator(".app-checklist-table tbody tr").count()
    assert 0 < filtered < total
    screenshot(page, "checklist-02-gdpr-only")

    page.goto(f"/cases/{triagemate['id']}/checklist")
    page.locator(".app-checklist-table a").first.click()
    screenshot(page, "checklist-03-item")
    page.get_by_label("Not met").check()
    page.get_by_role("button", name="Save and go to the next item not rated").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Explain why the item is not fully met")
    screenshot(page, "checklist-04-note-required")
    page.get_by_label("Note (internal", exact=False).fill("No named senior manager yet; the board minutes are a draft.")
    page.get_by_role("button", name="Save and go to the next item not rated").click()
    expect(success(page)).to_contain_text("rated: Not met")

    for number in range(1, total):
        heading = page.locator("h1").inner_text()
        if number % 9 == 0:
            page.get_by_label("Partly met").check()
            page.get_by_label("Note (internal", exact=False).fill(f"Evidence covers the pilot only ({heading[:20]}).")
        elif number % 13 == 0:
            page.get_by_label("Not applicable").check()
            page.get_by_label("Note (internal", exact=False).fill("The model is not generative.")
        else:
            page.get_by_label("Met", exact=True).check()
        if number == 20:
            screenshot(page, "checklist-05-rating-midway")
        page.get_by_role("button", name="Save and go to the next item not rated").click()
        expect(success(page)).to_be_visible()

    # The last one saved leads back to the list: everything is rated.
    expect(page.locator("h1")).to_have_text("Compliance checklist")
    expect(page.locator("main")).to_contain_text("Every mandatory item is rated")
    expect(page.locator("main")).to_contain_text(f"Rated: {total} of {total} items")
    screenshot(page, "checklist-06-all-rated")
    unrated = read(select(func.count()).select_from(CaseItem).where(CaseItem.case_id == triagemate["id"],
                                                                    CaseItem.rating.is_(None)))[0]
    assert unrated == 0
    page.goto(f"/cases/{triagemate['id']}")
    expect(page.locator("#checklist")).to_contain_text(f"{total} of {total} items rated")
    screenshot(page, "checklist-07-case-page")
    db.session.commit()
    assert browser_problems.unexpected() == []
