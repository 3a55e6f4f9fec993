"""The letter register (staff) and the applicant's letters (portal): filters, byte-for-byte downloads, and who sees
what — a conflicted member of staff sees nothing of that organisation, an applicant only their own issued letters."""

from __future__ import annotations

import re
from datetime import timedelta

from flask import Flask
from flask.testing import FlaskClient

from sandbox.accounts.conflicts import declare_conflict
from sandbox.applications.operations import start_application
from sandbox.core.permissions import Role
from sandbox.decisions.letter_operations import draft_correction
from sandbox.decisions.letters import Letter
from sandbox.extensions import db
from sandbox.workflow.engine import regulator_today
from tests.decisions.conftest import issue
from tests.factories import make_organisation, make_user, sign_in
from tests.reviews.conftest import Staff


def signed_in(app: Flask, user) -> FlaskClient:
    client = app.test_client()
    sign_in(client, user)
    return client


def test_register_lists_letters_and_filters_them(app: Flask, staff: Staff, issued: Letter):
    correction = draft_correction(db.session, issued, staff.officer)
    db.session.commit()
    lead = signed_in(app, staff.lead)
    page = lead.get("/letters/").get_data(as_text=True)
    assert issued.number in page and f"/letters/{correction.id}" in page and 'tag--grey">Superseded' not in page
    reference, year, today = issued.case.reference, regulator_today().year, regulator_today()
    expectations = {
        "?state=draft": (False, True), "?state=issued": (True, False), "?kind=rejection": (False, False),
        f"?reference={reference.lower()}": (True, True), "?reference=SBX-1999-0001": (False, False),
        f"?year={year}": (True, False), f"?year={year - 1}": (False, False),
        f"?issued_from={today.isoformat()}&issued_to={today.isoformat()}": (True, False),
        f"?issued_from={(today + timedelta(days=1)).isoformat()}": (False, False),
        "?kind=&state=&reference=": (True, True),
    }
    for query, (shows_issued, shows_draft) in expectations.items():
        html = lead.get(f"/letters/{query}").get_data(as_text=True)
        assert (issued.number in html, f'href="/letters/{correction.id}"' in html) == (shows_issued, shows_draft), query


def test_register_refuses_filters_it_does_not_know(app: Flask, staff: Staff):
    response = signed_in(app, staff.lead).get("/letters/?kind=love&colour=red")
    assert response.status_code == 400 and "Choose a kind of letter from the list." in response.get_data(as_text=True)


def test_register_pages_by_keyset(app: Flask, staff: Staff, issued: Letter, monkeypatch):
    from sandbox.decisions import letter_register

    correction = draft_correction(db.session, issued, staff.officer)
    db.session.commit()
    monkeypatch.setattr(letter_register, "PAGE_SIZE", 1)
    lead = signed_in(app, staff.lead)
    first = lead.get("/letters/").get_data(as_text=True)  # drafts first: they wait for someone
    assert f'href="/letters/{correction.id}"' in first and issued.number not in first
    older = re.search(r'href="(/letters/\?after=[^"]+)"', first).group(1).replace("&amp;", "&")
    second = lead.get(older).get_data(as_text=True)
    assert issued.number in second and "Older letters" not in second
    assert lead.get("/letters/?after=nonsense").status_code == 400


def test_conflicted_staff_see_nothing_of_the_organisations_letters(app: Flask, staff: Staff, issued: Letter):
    conflicted = make_user(Role.CASE_OFFICER, staff.regulator)
    declare_conflict(db.session, conflicted, staff.firm.id, "Former employer")
    client = signed_in(app, conflicted)
    assert issued.number not in client.get("/letters/").get_data(as_text=True)
    for path in (f"/letters/{issued.id}", f"/letters/{issued.id}/letter.pdf", f"/letters/{issued.id}/preview.pdf"):
        assert client.get(path).status_code == 404, path


def test_applicant_sees_and_downloads_their_issued_letters_byte_for_byte(app: Flask, staff: Staff, issued: Letter):
    case_id = issued.case_id
    applicant = signed_in(app, staff.applicant)
    page = applicant.get(f"/applications/{case_id}").get_data(as_text=True)
    assert issued.number in page and "Admission with conditions" in page
    path = f"/applications/{case_id}/letters/{issued.id}.pdf"
    assert path in page
    first, second = applicant.get(path), applicant.get(path)
    assert first.status_code == 200 and first.data == second.data == issued.pdf
    assert first.headers["Content-Disposition"].startswith("attachment;")
    assert first.headers["X-Content-Type-Options"] == "nosniff"


def test_applicant_never_sees_drafts_and_is_told_when_a_letter_is_replaced(app: Flask, staff: Staff,
                                                                          issued: Letter):
    correction = draft_correction(db.session, issued, staff.officer)
    db.session.commit()
    applicant = signed_in(app, staff.applicant)
    assert applicant.get(f"/applications/{issued.case_id}/letters/{correction.id}.pdf").status_code == 404
    issue(correction, staff.decider)
    page = applicant.get(f"/applications/{issued.case_id}").get_data(as_text=True)
    assert correction.number in page and issued.number in page and "Replaced by a correction" in page


def test_another_organisations_applicant_gets_404_everywhere(app: Flask, staff: Staff, issued: Letter):
    other_firm = make_organisation(name="Other Firm Ltd")
    person = make_user(Role.APPLICANT, other_firm)
    their_case = start_application(db.session, other_firm, person)
    db.session.commit()
    stranger = signed_in(app, person)
    assert stranger.get(f"/applications/{issued.case_id}/letters/{issued.id}.pdf").status_code == 404
    assert stranger.get(f"/applications/{issued.case_id}").status_code == 404
    # Their own case's URL with this letter's id is no way in either.
    assert stranger.get(f"/applications/{their_case.id}/letters/{issued.id}.pdf").status_code == 404
    for path in ("/letters/", f"/letters/{issued.id}", f"/letters/{issued.id}/letter.pdf"):
        assert stranger.get(path).status_code == 403, path
