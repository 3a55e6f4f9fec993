"""Signing in and out in a real browser: what people see, with the CSS, JavaScript and CSP of production."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page, Response, expect
from sqlalchemy import select

from sandbox.accounts.models import User
from sandbox.demo import DEMO_ORGANISATIONS, DEMO_PASSWORD, DemoUser
from sandbox.extensions import db
from tests.e2e.conftest import BrowserProblems

pytestmark = pytest.mark.browser

Screenshot = Callable[[Page, str], Path]

DEMO_USERS = [user for organisation in DEMO_ORGANISATIONS for user in organisation.users]
RATE_LIMITED = re.compile("too many failed attempts to sign in to this account", re.IGNORECASE)


def submit_sign_in(page: Page, email: str, password: str) -> Response | None:
    """Fill the form by its labels and press the button, as a person would; returns the page's response."""
    page.get_by_label("Email address", exact=True).fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    with page.expect_navigation() as navigation:
        page.get_by_role("button", name="Sign in", exact=True).click()
    return navigation.value


def signed_in_header(page: Page):
    return page.locator(".app-header__signed-in")


def error_summary(page: Page):
    return page.locator(".govuk-error-summary")


@pytest.mark.parametrize("user", DEMO_USERS, ids=[user.email for user in DEMO_USERS])
def test_demo_user_signs_in_sees_their_home_page_and_signs_out(
        page: Page, demo_data: None, user: DemoUser, screenshot: Screenshot, browser_problems: BrowserProblems):
    page.goto("/sign-in")
    response = submit_sign_in(page, user.email, DEMO_PASSWORD)

    assert response is not None and response.ok, response and response.status
    assert page.url.endswith("/")
    header = signed_in_header(page)
    expect(header).to_contain_text(user.full_name)
    expect(header).to_contain_text(user.role.label)
    expected_heading = "Regulator workspace" if user.role.is_staff else "Your applications"
    expect(page.get_by_role("heading", level=1)).to_have_text(expected_heading)
    screenshot(page, f"home-{'staff' if user.role.is_staff else 'applicant'}-{user.email.split('@')[0]}")

    with page.expect_navigation():
        page.get_by_role("button", name="Sign out", exact=True).click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("You have signed out.")
    expect(signed_in_header(page)).to_have_count(0)
    if user is DEMO_USERS[0]:
        screenshot(page, "signed-out")
    assert browser_problems.unexpected() == []


def test_five_wrong_passwords_then_even_the_right_one_is_refused(
        page: Page, demo_data: None, screenshot: Screenshot, browser_problems: BrowserProblems):
    user = DEMO_ORGANISATIONS[1].users[0]
    page.goto("/sign-in")
    for attempt in range(1, 6):
        response = submit_sign_in(page, user.email, f"not the password {attempt}")
        assert response is not None and response.status == 401, f"attempt {attempt}"
        expect(error_summary(page)).to_contain_text("The email address or password is not correct")
        expect(signed_in_header(page)).to_have_count(0)
        if attempt == 1:
            screenshot(page, "sign-in-wrong-password")

    response = submit_sign_in(page, user.email, DEMO_PASSWORD)

    assert response is not None and response.status == 429
    expect(page.get_by_text(RATE_LIMITED)).to_be_visible()
    screenshot(page, "rate-limited")
    expect(signed_in_header(page)).to_have_count(0)
    expect(page.get_by_role("button", name="Sign out")).to_have_count(0)
    page.goto("/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Apply to test an AI system in the regulatory sandbox")
    expect(signed_in_header(page)).to_have_count(0)
    db.session.expire_all()
    record = db.session.scalars(select(User).where(User.email == user.email)).one()
    assert record.last_signed_in_at is None
    assert browser_problems.unexpected() == []


def test_empty_sign_in_form_shows_an_error_summary_whose_links_focus_the_fields(
        page: Page, screenshot: Screenshot, browser_problems: BrowserProblems):
    page.goto("/sign-in")
    with page.expect_navigation() as navigation:
        page.get_by_role("button", name="Sign in", exact=True).click()
    assert navigation.value is not None and navigation.value.status == 422

    summary = error_summary(page)
    expect(summary.get_by_role("heading")).to_have_text("There is a problem")
    email_link = summary.get_by_role("link", name="Enter your email address", exact=True)
    expect(email_link).to_be_visible()
    expect(summary.get_by_role("link", name="Enter your password", exact=True)).to_be_visible()
    expect(summary).to_be_focused()  # GOV.UK Frontend moves focus to the summary so screen readers announce it
    expect(page).to_have_title(re.compile(r"^Error: "))
    screenshot(page, "sign-in-errors")

    email_link.click()

    expect(page.get_by_label("Email address", exact=True)).to_be_focused()
    assert browser_problems.unexpected() == []


def test_first_tab_on_the_start_page_focuses_the_skip_link(
        page: Page, screenshot: Screenshot, browser_problems: BrowserProblems):
    page.goto("/")
    screenshot(page, "start-page")

    page.keyboard.press("Tab")

    skip_link = page.get_by_role("link", name="Skip to main content", exact=True)
    expect(skip_link).to_be_focused()
    expect(skip_link).to_be_visible()  # visually hidden until focused
    page.keyboard.press("Enter")
    expect(page.locator("#main-content")).to_be_focused()
    assert browser_problems.unexpected() == []


@pytest.mark.parametrize("path", ["/", "/sign-in"])
def test_page_loads_without_browser_errors(page: Page, path: str, browser_problems: BrowserProblems):
    """Catches broken CSS or JavaScript links and Content-Security-Policy violations."""
    response = page.goto(path, wait_until="networkidle")

    assert response is not None and response.status == 200
    # The inline script (CSP nonce) ran, and the module script started GOV.UK Frontend.
    expect(page.locator("body")).to_have_class(re.compile(r"\bgovuk-frontend-supported\b"))
    expect(page.locator('[data-module="govuk-skip-link"]')).to_have_attribute("data-govuk-skip-link-init", "")
    assert browser_problems.everything() == []
