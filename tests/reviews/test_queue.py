"""The review queue returns exactly the right cases for each filter, sort and search, pages by keyset,
keeps views and exports them, and never shows a conflicted person the organisation's cases."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy import event

from sandbox.accounts.conflicts import declare_conflict
from sandbox.accounts.models import OrganisationKind
from sandbox.cases.models import Case
from sandbox.core.permissions import Role
from sandbox.extensions import db
from sandbox.reviews.models import SavedView
from sandbox.workflow.engine import regulator_today
from tests.conftest import csrf_token_from, post_form
from tests.factories import make_organisation, make_user, sign_in
from tests.reviews.queue_cases import sent_case

REFERENCE = re.compile(r"SBX-2026-\d{4}")


def references(client: FlaskClient, query: str = "") -> list[str]:
    response = client.get(f"/queue/{query}")
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    page = response.get_data(as_text=True)
    table = page.split('<tbody class="govuk-table__body">', 1)[1] if "govuk-table__body" in page else ""
    return list(dict.fromkeys(REFERENCE.findall(table)))


@pytest.fixture
def world():
    regulator = make_organisation(OrganisationKind.REGULATOR)
    aurora = make_organisation(name="Aurora Lending Ltd")
    beacon = make_organisation(name="Beacon Health")
    officer = make_user(Role.CASE_OFFICER, regulator, full_name="Olivia Officer")
    officer2 = make_user(Role.CASE_OFFICER, regulator, full_name="Oscar Other")
    lead = make_user(Role.LEAD, regulator, full_name="Lena Lead")
    today = regulator_today()
    cases = {
        "overdue": sent_case(aurora, state="assessment", officer=officer, deadline_on=today - timedelta(days=3),
                             submitted_on=date(2026, 1, 10), text="credit scoring for small businesses"),
        "soon": sent_case(aurora, state="triage", officer=officer2, deadline_on=today + timedelta(days=4),
                          sector="lending_and_credit", submitted_on=date(2026, 2, 10), system_name="Loan Helper",
                          text="chatbot answering loan questions"),
        "later": sent_case(beacon, state="assessment", deadline_on=today + timedelta(days=40), sector="healthcare",
                           risk_class="limited_risk", submitted_on=date(2026, 3, 15), system_name="Triage Assistant",
                           text="symptom checker chatbot", checklist=(10, 40)),
        "paused": sent_case(beacon, state="information_requested", officer=officer, paused_days_left=12,
                            sector="healthcare", risk_class="prohibited", submitted_on=date(2026, 4, 1),
                            system_name="Emotion Reader", checklist=(40, 40)),
        "rejected": sent_case(aurora, state="rejected", officer=officer, submitted_on=date(2025, 12, 1),
                              system_name="Old Scorer"),
    }
    db.session.commit()
    return {"officer": officer, "officer2": officer2, "lead": lead, "aurora": aurora, "beacon": beacon,
            "cases": cases, "ref": {name: case.reference for name, case in cases.items()}}


def test_queue_default_view_lists_open_cases_most_urgent_first(client: FlaskClient, world):
    sign_in(client, world["officer"])
    ref = world["ref"]
    assert references(client) == [ref["overdue"], ref["soon"], ref["later"], ref["paused"]]


@pytest.mark.parametrize(("query", "expected"), [
    ("?state=all", ["overdue", "soon", "later", "paused", "rejected"]),
    ("?state=assessment", ["overdue", "later"]),
    ("?state=rejected", ["rejected"]),
    ("?sector=healthcare", ["later", "paused"]),
    ("?risk=prohibited", ["paused"]),
    ("?assignee=unassigned", ["later"]),
    ("?assignee=mine", ["overdue", "paused"]),
    ("?overdue=1", ["overdue"]),
    ("?submitted_from=2026-02-01&submitted_to=2026-03-15", ["soon", "later"]),
    ("?sector=healthcare&risk=limited_risk", ["later"]),
    ("?state=all&assignee=mine&submitted_to=2025-12-31", ["rejected"]),
])
def test_queue_filters_return_exactly_the_matching_cases(client: FlaskClient, world, query, expected):
    sign_in(client, world["officer"])
    assert references(client, query) == [world["ref"][name] for name in expected]


def test_queue_filter_by_named_officer(client: FlaskClient, world):
    sign_in(client, world["lead"])
    assert references(client, f"?assignee={world['officer2'].id}") == [world["ref"]["soon"]]


@pytest.mark.parametrize(("query", "expected"), [
    ("?sort=reference", ["overdue", "soon", "later", "paused"]),
    ("?sort=reference&dir=desc", ["paused", "later", "soon", "overdue"]),
    ("?sort=organisation", ["overdue", "soon", "later", "paused"]),
    ("?sort=system", ["overdue", "paused", "soon", "later"]),
    ("?sort=submitted", ["paused", "later", "soon", "overdue"]),
    ("?sort=submitted&dir=asc", ["overdue", "soon", "later", "paused"]),
    ("?sort=state", ["overdue", "later", "paused", "soon"]),
])
def test_queue_sorts_order_the_cases(client: FlaskClient, world, query, expected):
    sign_in(client, world["officer"])
    assert references(client, query) == [world["ref"][name] for name in expected]


def test_queue_sort_by_checklist_puts_fewest_items_left_first(client: FlaskClient, world):
    sign_in(client, world["officer"])
    found = references(client, "?sort=checklist")
    outstanding = {case.reference: case.checklist_outstanding for case in world["cases"].values()}
    assert [outstanding[r] for r in found] == [0, 0, 0, 30]
    assert found[-1] == world["ref"]["later"]


def test_queue_sort_by_last_activity_newest_first(client: FlaskClient, world):
    sign_in(client, world["officer"])
    found = references(client, "?sort=activity")
    activity = {c.reference: c.last_activity_at for c in world["cases"].values()}
    assert found == sorted(found, key=lambda r: activity[r], reverse=True)


@pytest.mark.parametrize(("search", "expected"), [
    ("aurora", ["overdue", "soon"]),
    ("Auro", ["overdue", "soon"]),
    ("chatbot", ["soon", "later"]),
    ("chatbot loan", ["soon"]),
    ("emotion reader", ["paused"]),
    ("beacon symptom", ["later"]),
    ("nothing-like-this", []),
    ('"unbalanced NEAR( OR *', []),
    ("!!!", []),
])
def test_queue_search_matches_every_word_as_a_word_start(client: FlaskClient, world, search, expected):
    sign_in(client, world["officer"])
    assert references(client, f"?q={search}") == [world["ref"][name] for name in expected]


def test_queue_search_finds_a_case_by_its_reference(client: FlaskClient, world):
    sign_in(client, world["officer"])
    reference = world["ref"]["later"]
    assert references(client, f"?q={reference}") == [reference]


def test_queue_search_of_open_cases_follows_a_case_closing_and_reopening(client: FlaskClient, world):
    """The open queue searches the open cases' own index; a trigger on is_open moves a case out and back."""
    sign_in(client, world["officer"])
    case = world["cases"]["soon"]
    case.state, case.is_open = "withdrawn", False
    db.session.commit()
    assert references(client, "?q=chatbot") == [world["ref"]["later"]]
    assert world["ref"]["soon"] in references(client, "?state=all&q=chatbot")
    assert references(client, "?state=withdrawn&q=chatbot") == [world["ref"]["soon"]]
    case.state, case.is_open = "triage", True
    db.session.commit()
    assert references(client, "?q=chatbot") == [world["ref"]["soon"], world["ref"]["later"]]


def test_queue_search_of_every_case_keeps_the_most_recent_matches(client: FlaskClient, world, monkeypatch):
    """Across all states a search looks among the most recently sent matches only (a bounded number)."""
    from sandbox.reviews import queue
    sign_in(client, world["officer"])
    assert references(client, "?state=all&q=chatbot") == [world["ref"]["soon"], world["ref"]["later"]]
    monkeypatch.setattr(queue, "SEARCH_HISTORY_CAP", 1)
    assert references(client, "?state=all&q=chatbot") == [world["ref"]["later"]]  # sent after "soon"
    assert references(client, "?q=chatbot") == [world["ref"]["soon"], world["ref"]["later"]]  # open queue: all


def test_queue_keyset_pages_cover_every_case_once_and_previous_goes_back(client: FlaskClient, world):
    for _ in range(116):
        sent_case(world["aurora"], deadline_on=regulator_today() + timedelta(days=20))
    db.session.commit()
    sign_in(client, world["officer"])
    seen, queries, pages = [], [""], []
    while True:
        page = client.get(f"/queue/{queries[-1]}").get_data(as_text=True)
        pages.append(references(client, queries[-1]))
        seen.extend(pages[-1])
        following = re.search(r'href="/queue/\?after=([^"]+)"', page)
        if not following:
            break
        queries.append(f"?after={following.group(1)}")
    assert [len(p) for p in pages] == [50, 50, 20]
    assert len(seen) == len(set(seen)) == 120
    second = client.get(f"/queue/{queries[1]}").get_data(as_text=True)
    back = re.search(r'href="/queue/\?before=([^"]+)"', second).group(1)
    assert references(client, f"?before={back}") == pages[0]


def test_queue_hides_cases_of_organisations_the_user_declared_a_conflict_with(client: FlaskClient, world):
    declare_conflict(db.session, world["officer"], world["beacon"].id, "Former employer")
    db.session.commit()
    sign_in(client, world["officer"])
    page = client.get("/queue/?state=all").get_data(as_text=True)
    assert "Beacon" not in page
    assert references(client, "?state=all") == [world["ref"][n] for n in ("overdue", "soon", "rejected")]
    assert "3 cases match" in page
    assert references(client, "?q=beacon") == []


@pytest.mark.parametrize("query", ["?state=nonsense", "?sector=mining", "?risk=huge", "?assignee=bob",
                                   "?submitted_from=2026-13-01", "?submitted_from=2026-05-01&submitted_to=2026-04-01",
                                   "?sort=colour", "?whatever=1", "?after=not-a-cursor"])
def test_queue_bad_filter_answers_400_with_a_message(client: FlaskClient, world, query):
    sign_in(client, world["officer"])
    response = client.get(f"/queue/{query}")
    assert response.status_code in (400, 422)
    text = response.get_data(as_text=True)
    assert "There is a problem" in text or "not valid" in text


def test_queue_page_costs_at_most_six_statements(app, client: FlaskClient, world):
    sign_in(client, world["lead"])
    client.get("/queue/")  # the first request of a process reads the workflow version once
    statements: list[str] = []

    def count(*_args: object) -> None:
        statements.append(str(_args[2])[:150])

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        assert client.get("/queue/?sort=organisation&sector=healthcare").status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert len(statements) <= 6, "\n".join(statements)


def test_saved_view_is_kept_per_user_and_only_its_owner_can_delete_it(client: FlaskClient, world):
    sign_in(client, world["officer"])
    response = post_form(client, "/queue/views", {"name": "My overdue", "query": "overdue=1&sector=banking"},
                         form_page="/queue/")
    assert response.status_code == 303 and response.location.endswith("/queue/?overdue=1&sector=banking")
    assert 'href="/queue/?overdue=1&amp;sector=banking">My overdue</a>' in client.get("/queue/").get_data(as_text=True)
    view = db.session.query(SavedView).one()
    other = make_user(Role.CASE_OFFICER, world["officer"].organisation)
    other_client = client.application.test_client()
    sign_in(other_client, other)
    assert "My overdue" not in other_client.get("/queue/").get_data(as_text=True)
    token = csrf_token_from(other_client, "/queue/")
    assert other_client.post(f"/queue/views/{view.id}/delete", data={"csrf_token": token}).status_code == 404
    assert post_form(client, f"/queue/views/{view.id}/delete", {}, form_page="/queue/").status_code == 303
    assert db.session.query(SavedView).count() == 0


def test_csv_export_holds_the_view_and_neutralises_formulas(client: FlaskClient, world):
    world["cases"]["later"].system_name = "=HYPERLINK(\"http://evil\")"
    db.session.commit()
    sign_in(client, world["officer"])
    response = client.get("/queue/export.csv?sector=healthcare")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    response.close()  # as a WSGI server does: closes the spooled file
    assert rows[0][0] == "Reference"
    assert [row[0] for row in rows[1:]] == [world["ref"]["later"], world["ref"]["paused"]]
    assert rows[1][2].startswith("'=HYPERLINK")


def test_bulk_assign_by_lead_assigns_fresh_cases_and_refuses_stale_ones(client: FlaskClient, world):
    later, soon = world["cases"]["later"], world["cases"]["soon"]
    sign_in(client, world["lead"])
    data = {"case": [f"{later.id}:{later.version}", f"{soon.id}:{soon.version - 1 or 99}"],
            "assignee": str(world["officer2"].id), "role": "case_officer", "back": "sector=healthcare"}
    token = csrf_token_from(client, "/queue/")
    response = client.post("/queue/assign", data={**data, "csrf_token": token})
    assert response.status_code == 303 and response.location.endswith("/queue/?sector=healthcare")
    db.session.expire_all()
    assert db.session.get(Case, later.id).case_officer_id == world["officer2"].id
    assert db.session.get(Case, soon.id).case_officer_id == world["officer2"].id  # unchanged: it was already theirs
    page = client.get("/queue/?sector=healthcare").get_data(as_text=True)
    assert "assigned to 1 cases" in page or "assigned to 1 case" in page
    assert "changed since you opened it" in page


def test_bulk_assign_is_for_leads_only(client: FlaskClient, world):
    sign_in(client, world["officer"])
    token = csrf_token_from(client, "/queue/")
    later = world["cases"]["later"]
    response = client.post("/queue/assign", data={"case": f"{later.id}:{later.version}",
                                                  "assignee": str(world["officer"].id), "csrf_token": token})
    assert response.status_code == 403
    db.session.expire_all()
    assert db.session.get(Case, later.id).case_officer_id is None


def test_queue_filter_form_with_empty_fields_means_any(client: FlaskClient, world):
    sign_in(client, world["officer"])
    query = "?q=&state=assessment&assignee=&sector=&risk=&submitted_from=&submitted_to="
    assert references(client, query) == [world["ref"]["overdue"], world["ref"]["later"]]


def test_saving_a_view_without_a_name_saves_nothing_and_says_why(client: FlaskClient, world):
    sign_in(client, world["officer"])
    response = post_form(client, "/queue/views", {"name": "  ", "query": "overdue=1"}, form_page="/queue/")
    assert response.status_code == 303
    assert "Give the view a name" in client.get(response.location).get_data(as_text=True)
    assert db.session.query(SavedView).count() == 0


@pytest.mark.parametrize(("data", "status", "message"), [
    ({"assignee": "1"}, 303, "Select at least one case"),
    ({"case": "12:abc", "assignee": "1"}, 422, "selection was not understood"),
])
def test_bulk_assign_with_a_bad_selection_changes_nothing(client: FlaskClient, world, data, status, message):
    sign_in(client, world["lead"])
    token = csrf_token_from(client, "/queue/")
    response = client.post("/queue/assign", data={**data, "role": "case_officer", "csrf_token": token})
    assert response.status_code == status
    page = client.get(response.location).get_data(as_text=True) if status == 303 else response.get_data(as_text=True)
    assert message in page
    db.session.expire_all()
    assert db.session.get(Case, world["cases"]["later"].id).case_officer_id is None
