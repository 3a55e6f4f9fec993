"""The officer's side of the checklist: each case keeps its template version, ratings need notes and keep their
history, a stale rating is refused, a question asked from an item is linked to it, progress reaches the queue,
the CSV holds the ratings, the regime filter works, and a decision waits for every mandatory item."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import delete, select

from sandbox.cases.models import Case, CaseTransition
from sandbox.checklists.case_checklist import case_items, checklist_of, missing_mandatory
from sandbox.checklists.models import CaseItem, RatingEntry
from sandbox.checklists.operations import rate_item
from sandbox.checklists.templates import DEFAULT_TEMPLATE, publish_file, template_in_force
from sandbox.core.db import utcnow
from sandbox.decisions.models import Decision
from sandbox.decisions.operations import decide
from sandbox.extensions import db
from sandbox.reviews import assessment
from sandbox.reviews.models import InformationQuestion
from sandbox.workflow.engine import regulator_today
from sandbox.workflow.rules import ASSESSING_ACTIONS, has_assessed
from tests.conftest import csrf_token_from
from tests.factories import assign_decider, signed_in
from tests.reviews.conftest import Staff, recommend_admission, submit_application


def item_by_code(case: Case, code: str) -> CaseItem:
    return next(item for item in case_items(db.session, case.id) if item.code == code)


def post_rating(client: FlaskClient, case: Case, item: CaseItem, **data: str):
    path = f"/cases/{case.id}/checklist/{item.id}"
    page = client.get(path).get_data(as_text=True)
    version = re.search(r'name="item_version" value="(\d+)"', page)
    assert version, "no rating form on the item page"
    return client.post(f"{path}/rating", data={"item_version": version.group(1), **data,
                                              "csrf_token": csrf_token_from(client, path)})


def test_submission_copies_the_version_in_force_and_a_new_version_leaves_the_case_alone(
        staff: Staff, submitted_case: Case, tmp_path: Path):
    first = template_in_force(db.session)
    assert checklist_of(db.session, submitted_case.id).template_id == first.id
    assert len(case_items(db.session, submitted_case.id)) == len(first.items) >= 40
    changed = DEFAULT_TEMPLATE.read_text(encoding="utf-8").replace(
        'version_label = "2026.1"', 'version_label = "2027.1"').replace(
        'title = "Named accountable senior manager"', 'title = "Accountable executive named"', 1)
    (tmp_path / "next.toml").write_text(changed, encoding="utf-8")
    second = publish_file(db.session, tmp_path / "next.toml")
    db.session.commit()
    assert second.version == first.version + 1 and template_in_force(db.session).id == second.id
    assert checklist_of(db.session, submitted_case.id).template_id == first.id  # the running case keeps its version
    assert {i.title for i in case_items(db.session, submitted_case.id)} == {i.title for i in first.items}
    later = submit_application(staff.firm, staff.applicant)
    assert checklist_of(db.session, later.id).template_id == second.id


def test_queue_counters_follow_the_ratings(staff: Staff, case_in_assessment: Case):
    case = case_in_assessment
    total = len(case_items(db.session, case.id))
    assert (case.checklist_total, case.checklist_outstanding) == (total, total)
    rate_item(db.session, case, item_by_code(case, "GOV-01"), staff.officer, "met", "",
              expected_version=item_by_code(case, "GOV-01").version)
    db.session.commit()
    assert (case.checklist_total, case.checklist_outstanding) == (total, total - 1)


def test_rating_anything_but_met_needs_a_note_and_nothing_is_saved_without_one(
        app: Flask, staff: Staff, case_in_assessment: Case):
    officer = signed_in(app, staff.officer)
    item = item_by_code(case_in_assessment, "GOV-01")
    response = post_rating(officer, case_in_assessment, item, rating="partly_met", note="  ")
    assert response.status_code == 422
    assert "Explain why the item is not fully met" in response.get_data(as_text=True)
    db.session.expire_all()
    assert item_by_code(case_in_assessment, "GOV-01").rating is None
    assert db.session.scalars(select(RatingEntry)).first() is None


def test_ratings_keep_their_history_with_who_and_when(app: Flask, staff: Staff, case_in_assessment: Case):
    officer = signed_in(app, staff.officer)
    case, item = case_in_assessment, item_by_code(case_in_assessment, "RISK-01")
    assert post_rating(officer, case, item, rating="not_met", note="No risk register yet.").status_code == 303
    assert post_rating(officer, case, item, rating="met", note="").status_code == 303
    db.session.expire_all()
    history = list(db.session.scalars(select(RatingEntry).where(RatingEntry.item_id == item.id)
                                      .order_by(RatingEntry.id)))
    assert [(h.rating, h.note, h.rated_by_id) for h in history] == [
        ("not_met", "No risk register yet.", staff.officer.id), ("met", None, staff.officer.id)]
    assert all(h.rated_at is not None for h in history)
    page = officer.get(f"/cases/{case.id}/checklist/{item.id}").get_data(as_text=True)
    assert "No risk register yet." in page and "Omar Chan" in page


def test_a_rating_from_a_stale_page_is_refused_and_changes_nothing(app: Flask, staff: Staff,
                                                                  case_in_assessment: Case):
    officer = signed_in(app, staff.officer)
    case, item = case_in_assessment, item_by_code(case_in_assessment, "GOV-02")
    path = f"/cases/{case.id}/checklist/{item.id}"
    token = csrf_token_from(officer, path)
    rate_item(db.session, case, item, staff.officer, "met", "", expected_version=item.version)  # someone else
    db.session.commit()
    response = officer.post(f"{path}/rating", data={"item_version": "1", "rating": "not_met", "note": "Stale view.",
                                                   "csrf_token": token})
    assert response.status_code == 409
    assert "Stale view." in response.get_data(as_text=True)  # what was typed is kept on the page
    db.session.expire_all()
    assert item_by_code(case, "GOV-02").rating == "met"


def test_only_the_assigned_officer_may_rate(app: Flask, staff: Staff, case_in_assessment: Case):
    item = item_by_code(case_in_assessment, "GOV-01")
    for user in (staff.officer2, staff.lead, staff.decider):
        client = signed_in(app, user)
        response = client.post(f"/cases/{case_in_assessment.id}/checklist/{item.id}/rating",
                               data={"item_version": str(item.version), "rating": "met",
                                     "csrf_token": csrf_token_from(client, "/")})
        assert response.status_code == 403
    db.session.expire_all()
    assert item_by_code(case_in_assessment, "GOV-01").rating is None


def test_asking_from_an_item_sends_an_information_request_linked_to_it(app: Flask, staff: Staff,
                                                                      case_in_assessment: Case):
    officer = signed_in(app, staff.officer)
    case, item = case_in_assessment, item_by_code(case_in_assessment, "DATA-01")
    path = f"/cases/{case.id}/checklist/{item.id}"
    due = regulator_today() + timedelta(days=14)
    page = officer.get(path).get_data(as_text=True)
    version = re.search(r'name="version" value="(\d+)"', page).group(1)
    response = officer.post(f"{path}/question", data={
        "version": version, "question-1": "Please send the data provenance register.", "due_on-day": str(due.day),
        "due_on-month": str(due.month), "due_on-year": str(due.year), "csrf_token": csrf_token_from(officer, path)})
    assert response.status_code == 303
    db.session.expire_all()
    question = db.session.scalars(select(InformationQuestion)).one()
    assert question.checklist_item_id == item.id and question.request.due_on == due
    assert db.session.get(Case, case.id).state == "information_requested"
    assert "Please send the data provenance register." in officer.get(path).get_data(as_text=True)


def test_decision_is_blocked_until_every_mandatory_item_is_rated_and_says_which(
        app: Flask, staff: Staff, case_in_assessment: Case):
    case = case_in_assessment
    assessment.recommend(db.session, case, staff.officer, "admit", "Fine.", ["Report monthly"],
                         {"start_on": regulator_today() + timedelta(days=30),
                          "end_on": regulator_today() + timedelta(days=200), "max_customers": 100,
                          "customer_types": "Retail", "max_exposure": 1000}, expected_version=case.version)
    db.session.commit()
    assign_decider(case, staff.decider, staff.lead)
    decider = signed_in(app, staff.decider)
    page = decider.get(f"/cases/{case.id}/decision").get_data(as_text=True)
    assert "cannot be admitted, rejected or waitlisted until every mandatory item is rated" in page
    response = decider.post(f"/cases/{case.id}/decision", data={
        "version": str(case.version), "outcome": "waitlist", "reasons": "", "csrf_token":
        csrf_token_from(decider, f"/cases/{case.id}/decision")})
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    missing = missing_mandatory(db.session, case.id)
    assert "Rate every mandatory checklist item first" in text and missing[0].code in text
    db.session.expire_all()
    assert db.session.get(Case, case.id).state == "decision_pending"
    assert db.session.scalars(select(Decision)).first() is None
    # Sent back (allowed: it decides nothing), the officer rates them (optional items may stay unrated) and
    # recommends again; now the decision goes through.
    case = db.session.get(Case, case.id)
    decide(db.session, case, staff.decider, "send_back", "Rate the mandatory items.", expected_version=case.version)
    db.session.commit()
    recommend_admission(case, staff.officer)
    response = decider.post(f"/cases/{case.id}/decision", data={
        "version": str(db.session.get(Case, case.id).version), "outcome": "waitlist", "reasons": "",
        "csrf_token": csrf_token_from(decider, f"/cases/{case.id}/decision")})
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    db.session.expire_all()
    assert db.session.get(Case, case.id).state == "waitlisted"


def test_rating_an_item_counts_as_assessing_for_four_eyes(staff: Staff, case_in_assessment: Case):
    """Whoever rated an item may not later decide the case (the officer may become a decision maker)."""
    case = case_in_assessment
    case.state = "triage"  # no assessing move on record yet: only the rating can count
    db.session.execute(delete(CaseTransition).where(CaseTransition.case_id == case.id,
                                                    CaseTransition.action.in_(ASSESSING_ACTIONS)))
    db.session.commit()
    assert not has_assessed(db.session, case.id, staff.officer.id)
    item = item_by_code(case, "GOV-01")
    rate_item(db.session, case, item, staff.officer, "met", "", expected_version=item.version)
    db.session.commit()
    assert has_assessed(db.session, case.id, staff.officer.id)
    assert not has_assessed(db.session, case.id, staff.officer2.id)


def test_an_item_retired_by_a_move_to_another_version_is_not_shown(app: Flask, staff: Staff,
                                                                   case_in_assessment: Case):
    item = item_by_code(case_in_assessment, "GOV-01")
    item.retired_at = utcnow()
    db.session.commit()
    officer = signed_in(app, staff.officer)
    assert officer.get(f"/cases/{case_in_assessment.id}/checklist/{item.id}").status_code == 404
    assert 'id="item-GOV-01"' not in officer.get(f"/cases/{case_in_assessment.id}/checklist").get_data(as_text=True)
    response = officer.post(f"/cases/{case_in_assessment.id}/checklist/{item.id}/rating", data={
        "item_version": str(item.version), "rating": "met", "csrf_token": csrf_token_from(officer, "/")})
    assert response.status_code == 404
    db.session.expire_all()
    assert item_by_code(case_in_assessment, "GOV-02").rating is None
    assert db.session.get(CaseItem, item.id).rating is None


def test_checklist_page_filters_by_regime_and_csv_holds_the_ratings(app: Flask, staff: Staff,
                                                                    case_in_assessment: Case):
    case = case_in_assessment
    item = item_by_code(case, "GOV-01")
    rate_item(db.session, case, item, staff.officer, "partly_met", "=HYPERLINK(\"http://x\")",
              expected_version=item.version)
    db.session.commit()
    officer = signed_in(app, staff.officer)
    every = officer.get(f"/cases/{case.id}/checklist").get_data(as_text=True)
    gdpr = officer.get(f"/cases/{case.id}/checklist?regime=gdpr").get_data(as_text=True)
    codes = re.compile(r'id="item-([A-Z]+-\d+)"')
    citing = {i.code for i in case_items(db.session, case.id) if "gdpr" in i.regime_keys()}
    assert set(codes.findall(gdpr)) == citing and 0 < len(citing) < len(codes.findall(every))
    response = officer.get(f"/cases/{case.id}/checklist.csv")
    assert response.headers["Content-Disposition"].startswith("attachment")
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert len(rows) == len(case_items(db.session, case.id))
    row = next(r for r in rows if r["code"] == "GOV-01")
    assert row["rating"] == "Partly met" and row["rating_note"].startswith("'=") and row["rated_by"] == "Omar Chan"


@pytest.mark.parametrize("role", ["officer", "lead"])
def test_case_page_shows_checklist_progress(app: Flask, staff: Staff, case_in_assessment: Case, role):
    page = signed_in(app, getattr(staff, role)).get(f"/cases/{case_in_assessment.id}").get_data(as_text=True)
    assert "Compliance checklist" in page and "mandatory items rated" in page


def test_recommend_helper_leaves_every_mandatory_item_rated(staff: Staff, case_in_assessment: Case):
    recommend_admission(case_in_assessment, staff.officer)
    assert missing_mandatory(db.session, case_in_assessment.id) == []
