"""The applicant's whole journey in a real browser: draft every section, submit, answer the regulator's
questions and withdraw; plus autosave, and answers typed during an expired session surviving a new sign-in.

Staff pages do not exist yet, so the case officer's actions run as domain calls in the test's app context.
A few checks of how the app behaves are collected (`Faults`) and reported at the end of their test, so that
one fault does not stop the steps after it from running.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import BrowserContext, Dialog, Locator, Page, Request, expect
from sqlalchemy import select

from sandbox.accounts.models import User
from sandbox.applications.models import ApplicationDraft
from sandbox.applications.sections import SECTIONS, FieldKind, SectionSpec
from sandbox.cases.models import Case
from sandbox.demo import DEMO_PASSWORD
from sandbox.extensions import db
from sandbox.reviews.information_requests import send_information_request
from sandbox.workflow.engine import regulator_today
from tests.applications.filling import section_answers
from tests.e2e.conftest import BrowserProblems
from tests.factories import pick_up

pytestmark = pytest.mark.browser

Screenshot = Callable[[Page, str], Path]

APPLICANT_EMAIL = "alice@aurora.example"
OFFICER_EMAIL = "officer1@regulator.example"
XSS_NAME = "<script>alert(1)</script>"
REFERENCE = re.compile(r"\bSBX-\d{4}-\d{4}\b")
AUTOSAVE_SECTION = "organisation"     # where the test waits for the background save
AUTOSAVE_FIELD = "registered_address"
SCREENSHOT_SECTION = "ai-system"
AUTOSAVE_TIMEOUT_MS = 10_000          # the page saves ~2 s after the last keystroke
QUESTIONS = ["How can you switch the system off, and how fast?", "Who reviews the declined applications?"]
SECTION_COMPLETE = "Yes, I\u2019ve completed this section"
SECTION_NOT_COMPLETE = "No, I\u2019ll come back to it later"
RESTORED_MESSAGE = "We put back answers you typed on this device that were not saved yet"


class AutosaveRequests:
    """Background saves still on their way: pressing Save and continue during one would race it."""

    def __init__(self, page: Page) -> None:
        self.in_flight = 0
        page.on("request", self._started)
        page.on("requestfinished", self._ended)
        page.on("requestfailed", self._ended)

    @staticmethod
    def _is_autosave(request: Request) -> bool:
        return request.method == "POST" and request.url.endswith("/autosave")

    def _started(self, request: Request) -> None:
        self.in_flight += self._is_autosave(request)

    def _ended(self, request: Request) -> None:
        self.in_flight -= self._is_autosave(request)

    def wait_until_idle(self, page: Page, timeout_s: float = 10) -> None:
        deadline = time.monotonic() + timeout_s
        while self.in_flight > 0:
            assert time.monotonic() < deadline, "a background save did not finish"
            page.wait_for_timeout(50)


class Faults:
    """Faults of the app found on the way, reported together at the end, so one does not hide the steps after it."""

    def __init__(self) -> None:
        self.found: list[str] = []

    def check(self, what: str, assertion: Callable[[], None]) -> bool:
        try:
            assertion()
        except AssertionError as error:
            self.found.append(f"{what}:\n{error}")
            return False
        return True

    def assert_none(self) -> None:
        if self.found:
            pytest.fail(f"{len(self.found)} fault(s) of the app:\n\n" + "\n\n".join(self.found))


# Helpers: what a person does ----------------------------------------------------------------------------------------

def sign_in(page: Page, email: str = APPLICANT_EMAIL) -> None:
    page.get_by_label("Email address", exact=True).fill(email)
    page.get_by_label("Password", exact=True).fill(DEMO_PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in", exact=True).click()


def scripts_have_run(page: Page) -> None:
    """The page's module script has run: it sets up autosave (and puts back device copies), then GOV.UK Frontend."""
    expect(page.locator('[data-module="govuk-skip-link"]')).to_have_attribute("data-govuk-skip-link-init", "")


def success_banner(page: Page) -> Locator:
    return page.locator(".govuk-notification-banner--success")


def status_tag(page: Page) -> Locator:
    """The Status row of the status page's summary (the timeline below repeats older statuses)."""
    row = page.locator(".govuk-summary-list__row").filter(
        has=page.locator(".govuk-summary-list__key", has_text=re.compile(r"^\s*Status\s*$")))
    return row.locator(".govuk-tag")


def section_form(page: Page) -> Locator:
    return page.locator("form.app-autosave-form")


def fill_section(form: Locator, section: SectionSpec, answers: dict[str, Any]) -> None:
    """Answer every question of the section through its inputs, found by their names."""
    for spec in section.fields:
        value = answers[spec.name]
        match spec.kind:
            case FieldKind.CHOICE | FieldKind.YES_NO:
                form.locator(f'input[type="radio"][name="{spec.name}"][value="{value}"]').check()
            case FieldKind.MULTI:
                for choice in value:
                    form.locator(f'input[type="checkbox"][name="{spec.name}"][value="{choice}"]').check()
            case FieldKind.DATE:
                year, month, day = value.split("-")
                form.locator(f'[name="{spec.name}-day"]').fill(day)
                form.locator(f'[name="{spec.name}-month"]').fill(month)
                form.locator(f'[name="{spec.name}-year"]').fill(year)
            case _:
                form.locator(f'[name="{spec.name}"]').fill(str(value))


def save_section(page: Page, section: SectionSpec, autosaves: AutosaveRequests) -> None:
    page.get_by_role("radio", name=SECTION_COMPLETE, exact=True).check()
    autosaves.wait_until_idle(page)
    with page.expect_navigation():
        page.get_by_role("button", name="Save and continue", exact=True).click()
    expect(success_banner(page)).to_contain_text(f"Your answers to “{section.title}” have been saved.")


def saved_answers(case_id: int, section_key: str) -> dict[str, Any]:
    """What the database holds for the section now (the live server committed it in another thread)."""
    db.session.expire_all()
    draft = db.session.get(ApplicationDraft, case_id)
    answers = dict(draft.answers.get(section_key, {})) if draft else {}
    db.session.rollback()
    return answers


def start_application(page: Page) -> int:
    page.get_by_role("link", name="Your applications", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your applications")
    with page.expect_navigation():
        page.get_by_role("button", name="Start a new application", exact=True).click()
    match = re.search(r"/applications/(\d+)$", page.url)
    assert match, page.url
    expect(page.get_by_text("You have completed 0 of 9 sections")).to_be_visible()
    return int(match.group(1))


def officer_requests_information(case_id: int) -> str:
    """What a case officer will do on the staff pages: start triage and ask two questions, due in 14 days."""
    db.session.expire_all()
    case = db.session.get(Case, case_id)
    officer = db.session.scalars(select(User).where(User.email == OFFICER_EMAIL)).one()
    pick_up(case, officer)
    due_on = regulator_today() + timedelta(days=14)
    send_information_request(db.session, case, officer, QUESTIONS, due_on, expected_version=case.version)
    db.session.commit()
    return due_on.strftime("%-d %B %Y")


# The journey --------------------------------------------------------------------------------------------------------

def test_applicant_drafts_submits_answers_questions_and_withdraws(
        page: Page, demo_data: None, screenshot: Screenshot, browser_problems: BrowserProblems):
    dialogs: list[str] = []

    def on_dialog(dialog: Dialog) -> None:
        dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    page.on("dialog", on_dialog)
    autosaves = AutosaveRequests(page)
    faults = Faults()

    # 1. Sign in and start an application.
    page.goto("/sign-in")
    sign_in(page)
    case_id = start_application(page)
    task_list_url = page.url

    # 2. Every section, from the task list. The AI system's name tries to inject a script.
    for section in SECTIONS:
        page.get_by_role("link", name=section.title, exact=True).click()
        expect(page.get_by_role("heading", level=1)).to_have_text(section.title)
        scripts_have_run(page)  # so autosave sees the typing
        answers = section_answers(section)
        if section.key == "ai-system":
            answers["system_name"] = XSS_NAME
        fill_section(section_form(page), section, answers)

        if section.key == AUTOSAVE_SECTION:
            # 5a. Typing is saved in the background, without pressing anything.
            typed = "1 Harbour Road\nWan Chai\nHong Kong"
            page.locator(f'textarea[name="{AUTOSAVE_FIELD}"]').fill(typed)
            expect(page.locator("[data-autosave-status]")).to_contain_text("Saved at", timeout=AUTOSAVE_TIMEOUT_MS)
            # Browsers send a textarea's line breaks as CRLF (HTML form submission rules).
            assert saved_answers(case_id, section.key).get(AUTOSAVE_FIELD, "").replace("\r\n", "\n") == typed
        if section.key == SCREENSHOT_SECTION:
            screenshot(page, "journey-section-ai-system")

        save_section(page, section, autosaves)
        assert page.url == task_list_url
        task = page.locator(".govuk-task-list__item").filter(
            has=page.get_by_role("link", name=section.title, exact=True))
        expect(task.locator(".govuk-task-list__status")).to_have_text("Completed")

    # 4. Check the answers, sign the declaration and send.
    expect(page.get_by_text("You have completed 9 of 9 sections.")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text(XSS_NAME)  # the draft's title is the system's name
    page.get_by_role("button", name="Check your answers", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your answers before sending your application")
    expect(page.get_by_text("Some required questions are not answered yet")).to_have_count(0)
    ai_card = page.locator(".govuk-summary-card").filter(
        has=page.get_by_role("heading", name="AI system", exact=True))
    expect(ai_card.get_by_text(XSS_NAME, exact=True)).to_be_visible()  # 3. shown as text, not run
    screenshot(page, "journey-check-answers")

    page.get_by_label("Full name of the authorised signatory", exact=True).fill("Alice Tam")
    page.get_by_label("Their role in your organisation", exact=True).fill("Chief Compliance Officer")
    page.get_by_role("checkbox", name=re.compile(r"^I am the authorised signatory")).check()
    with page.expect_navigation():
        page.get_by_role("button", name="Accept and send application", exact=True).click()
    panel = page.locator(".govuk-panel--confirmation")
    expect(panel.get_by_role("heading", level=1)).to_have_text("Application submitted")
    body = panel.locator(".govuk-panel__body")
    expect(body).to_contain_text("Your reference number")
    found = REFERENCE.search(body.inner_text())
    assert found, body.inner_text()
    reference = found.group()
    screenshot(page, "journey-submitted")

    def reference_in_bold() -> None:
        expect(body).not_to_contain_text("<", timeout=1_000)
        expect(body.locator("strong")).to_have_text(reference, timeout=1_000)

    faults.check("The confirmation panel should show the reference in bold on its own line, not HTML as text",
                 reference_in_bold)

    # 3. The dashboard lists the application under its (hostile) name, as text.
    page.get_by_role("link", name="Go to your applications", exact=True).click()
    row = page.locator(".govuk-table__row").filter(has_text=reference)
    expect(row.get_by_role("link", name=XSS_NAME, exact=True)).to_be_visible()
    expect(row).to_contain_text("Received: waiting for a case officer")
    screenshot(page, "journey-dashboard")

    # 6. The case officer asks two questions; the applicant answers them.
    due = officer_requests_information(case_id)
    row.get_by_role("link", name=XSS_NAME, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(XSS_NAME)
    expect(status_tag(page)).to_have_text("We need more information from you")
    expect(page.get_by_text(f"We need more information from you by {due}.")).to_be_visible()
    page.get_by_role("link", name="Answer the questions", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Answer the regulator's questions")
    for number, question in enumerate(QUESTIONS, start=1):
        page.get_by_label(f"Question {number}: {question}", exact=True).fill(f"Our answer to question {number}.")
    with page.expect_navigation():
        page.get_by_role("button", name="Send answers", exact=True).click()
    expect(success_banner(page)).to_contain_text(
        "Your answers have been sent. The time we take to decide has started again.")
    expect(status_tag(page)).to_have_text("Being checked for completeness")
    expect(page.get_by_text("We need more information from you by")).to_have_count(0)
    screenshot(page, "journey-information-answered")

    # 7. Withdraw: a reason is required.
    page.get_by_role("link", name="Withdraw this application", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Are you sure you want to withdraw your application?")
    with page.expect_navigation():
        page.get_by_role("button", name="Withdraw application", exact=True).click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Tell us why you are withdrawing")
    page.get_by_label("Why are you withdrawing?", exact=True).fill("We will test the system with our own pilot.")
    with page.expect_navigation():
        page.get_by_role("button", name="Withdraw application", exact=True).click()
    expect(success_banner(page)).to_contain_text("Your application has been withdrawn.")
    expect(status_tag(page)).to_have_text("Withdrawn")
    expect(page.get_by_role("link", name="Withdraw this application")).to_have_count(0)
    screenshot(page, "journey-withdrawn")

    # 3 and 8. No script ran, and the browser reported no problems.
    assert dialogs == []
    assert browser_problems.unexpected() == []
    faults.assert_none()


def test_answers_typed_after_the_session_expired_are_put_back_after_signing_in_again(
        page: Page, context: BrowserContext, demo_data: None, screenshot: Screenshot,
        browser_problems: BrowserProblems):
    faults = Faults()
    page.goto("/sign-in")
    sign_in(page)
    case_id = start_application(page)
    section = next(s for s in SECTIONS if s.key == "exit")
    section_url = f"/applications/{case_id}/sections/{section.key}"
    question = "What will you do when the test ends?"
    page.get_by_role("link", name=section.title, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(section.title)
    scripts_have_run(page)  # so the page keeps a copy of the typing on this device

    # 5b. The session ends (cookies gone) while the page is open; the applicant types and saves.
    context.clear_cookies()
    typed = "Launch to all small-business customers if the success measures are met."
    page.get_by_label(question, exact=True).fill(typed)
    with page.expect_navigation():
        page.get_by_role("button", name="Save and continue", exact=True).click()

    sent_to_sign_in = faults.check(
        "Save and continue after the session expired should lead to the sign-in page",
        lambda: expect(page.get_by_role("heading", level=1)).to_have_text("Sign in", timeout=1_000))
    if not sent_to_sign_in:
        page.go_back()  # as the error page tells people to; the section page then asks them to sign in
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    sign_in_url = urlsplit(page.url)
    assert (sign_in_url.path, parse_qs(sign_in_url.query).get("next")) == ("/sign-in", [section_url]), page.url
    sign_in(page)

    assert page.url.endswith(section_url), page.url
    expect(page.get_by_label(question, exact=True)).to_have_value(typed)
    expect(page.get_by_text(RESTORED_MESSAGE)).to_be_visible()
    screenshot(page, "journey-restored-after-sign-in")
    assert saved_answers(case_id, section.key).get("transition_strategy") is None  # only on the device so far

    page.get_by_role("radio", name=SECTION_NOT_COMPLETE, exact=True).check()
    with page.expect_navigation():
        page.get_by_role("button", name="Save and continue", exact=True).click()
    expect(success_banner(page)).to_contain_text(f"Your answers to “{section.title}” have been saved.")
    assert saved_answers(case_id, section.key).get("transition_strategy") == typed

    # Saved now: opening the section again shows the saved answer and no claim that unsaved answers came back.
    with page.expect_navigation():
        page.get_by_role("link", name=section.title, exact=True).click()
    scripts_have_run(page)
    expect(page.get_by_label(question, exact=True)).to_have_value(typed)
    faults.check("After Save and continue, the section should not say unsaved answers were put back",
                 lambda: expect(page.get_by_text(RESTORED_MESSAGE)).to_have_count(0, timeout=1_000))
    assert browser_problems.unexpected() == []
    faults.assert_none()
