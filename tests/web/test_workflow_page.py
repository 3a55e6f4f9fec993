"""The workflow page: staff see the published workflow as a diagram and tables; nobody else sees it."""

from __future__ import annotations

import copy
import re
import tomllib
from itertools import combinations
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from sandbox.core.permissions import STAFF_ROLES, Role
from sandbox.extensions import db
from sandbox.workflow.definition import DEFAULT_DEFINITION, WorkflowDefinition, parse_definition
from sandbox.workflow.diagram import Diagram, layout
from sandbox.workflow.rules import EFFECTS, GUARDS
from sandbox.workflow.versions import current_version, definition_of, load_file, publish
from tests.factories import make_user, sign_in


def row_of(page: str, action_label: str) -> str:
    match = re.search(rf'<tr class="govuk-table__row">((?:(?!</tr>).)*>{re.escape(action_label)}</th>.*?)</tr>',
                      page, re.S)
    assert match, f"no table row for {action_label!r}"
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", match.group(1).replace("<wbr>", ""))).strip()


@pytest.mark.parametrize("role", sorted(STAFF_ROLES))
def test_staff_of_every_role_see_each_state_and_transition(client: FlaskClient, role: Role):
    sign_in(client, make_user(role))
    response = client.get("/workflow")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    definition = load_file(DEFAULT_DEFINITION)
    for state in definition.states.values():
        assert f'<th scope="row" class="govuk-table__header">{state.label}' in page
        assert state.applicant_label in page
    assert row_of(page, "Submit application") == ("Draft Submit application Submitted Applicant None "
                                                  "issue_reference start_clock")
    assert row_of(page, "Send response").startswith("Information requested Send response "
                                                    "The state it came from Applicant")
    assert row_of(page, "Lapse after unanswered request").startswith("Information requested Lapse after unanswered "
                                                                     "request Lapsed System (timer)")
    assert "Case officer, Team lead" in row_of(page, "Start triage")
    assert '<svg class="app-workflow-diagram__svg"' in page and 'role="img"' in page
    assert 'aria-describedby="workflow-transitions"' in page and 'id="workflow-transitions"' in page
    assert "Version" in page and "1 (current)" in page
    assert " style=" not in page and "<style" not in page  # the content security policy allows neither


def test_staff_navigation_links_to_the_workflow_and_applicants_do_not_see_it(client: FlaskClient, app: Flask):
    sign_in(client, make_user(Role.CASE_OFFICER))
    assert 'href="/workflow"' in client.get("/").get_data(as_text=True)
    other = app.test_client()
    sign_in(other, make_user(Role.APPLICANT))
    assert 'href="/workflow"' not in other.get("/").get_data(as_text=True)


@pytest.mark.parametrize("path", ["/workflow", "/workflow/versions/1"])
def test_applicants_are_refused(client: FlaskClient, path: str):
    current_version(db.session)
    sign_in(client, make_user(Role.APPLICANT))
    assert client.get(path).status_code == 403


@pytest.mark.parametrize("path", ["/workflow", "/workflow/versions/1"])
def test_anonymous_visitors_are_sent_to_sign_in(client: FlaskClient, path: str):
    response = client.get(path)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/sign-in?next=")


@pytest.mark.parametrize("number", [0, 2, 99])
def test_an_unknown_version_is_not_found(client: FlaskClient, number: int):
    current_version(db.session)
    sign_in(client, make_user(Role.LEAD))
    assert client.get(f"/workflow/versions/{number}").status_code == 404


def test_the_latest_version_is_shown_and_earlier_ones_stay_available(client: FlaskClient, tmp_path: Path):
    officer = make_user(Role.CASE_OFFICER)
    first = current_version(db.session)
    text = DEFAULT_DEFINITION.read_text(encoding="utf-8")
    revised = text.replace('title = "Default AI sandbox lifecycle"', 'title = "Revised AI sandbox lifecycle"')
    revised = revised.replace('[states.triage]\nlabel = "Triage"', '[states.triage]\nlabel = "Completeness check"')
    assert revised.count("Revised") == 1 and revised.count("Completeness check") == 1
    (tmp_path / "revised.toml").write_text(revised, encoding="utf-8")
    second = publish(db.session, load_file(tmp_path / "revised.toml"), officer)
    assert (first.number, second.number) == (1, 2)
    sign_in(client, officer)

    latest = client.get("/workflow").get_data(as_text=True)
    assert "Revised AI sandbox lifecycle" in latest and "Completeness check" in latest
    assert "2 (current)" in latest and "This is an earlier version" not in latest
    assert 'href="/workflow/versions/1"' in latest

    earlier = client.get("/workflow/versions/1")
    assert earlier.status_code == 200
    page = earlier.get_data(as_text=True)
    assert "Default AI sandbox lifecycle" in page and "Completeness check" not in page
    assert "This is an earlier version" in page and 'href="/workflow"' in page
    assert "Completeness check" in client.get("/workflow/versions/2").get_data(as_text=True)


def default_definition() -> WorkflowDefinition:
    return load_file(DEFAULT_DEFINITION)


def start_and_end(path: str) -> tuple[tuple[float, float], tuple[float, float]]:
    numbers = [float(n) for n in re.findall(r"-?\d+(?:\.\d+)?", path)]
    return (numbers[0], numbers[1]), (numbers[-2], numbers[-1])


def assert_well_drawn(definition: WorkflowDefinition, diagram: Diagram) -> None:
    names = [node.state.name for node in diagram.nodes]
    assert sorted(names) == sorted(definition.states) and len(names) == len(set(names))
    nodes = {node.state.name: node for node in diagram.nodes}
    for a, b in combinations(diagram.nodes, 2):  # no two boxes overlap
        assert a.layer != b.layer or abs(a.x - b.x) >= diagram.box_width, (a.state.name, b.state.name)
        assert (a.layer == b.layer) == (a.y == b.y)
    for node in diagram.nodes:
        assert node.x >= 0 and node.x + diagram.box_width <= diagram.width
        assert node.y >= 0 and node.y + diagram.box_height <= diagram.height
    forward = {(e.source, e.target): e for e in diagram.edges if not e.returns_to_previous}
    for t in (t for t in definition.transitions if not t.returns_to_previous):
        for source in t.sources:
            assert t in forward[source, t.target].transitions
    for edge in (e for e in diagram.edges if e.source != e.target):  # each arrow runs from its box to its box
        for (px, py), node in zip(start_and_end(edge.path), (nodes[edge.source], nodes[edge.target]), strict=True):
            assert node.x <= px <= node.x + diagram.box_width, edge
            assert py in (node.y, node.y + diagram.box_height), edge


def test_diagram_places_every_state_once_and_draws_every_transition():
    definition = default_definition()
    diagram = layout(definition)
    assert_well_drawn(definition, diagram)
    layers = {node.state.name: node.layer for node in diagram.nodes}
    assert layers["draft"] == 0 and all(layer > 0 for name, layer in layers.items() if name != "draft")
    assert (layers["submitted"], layers["triage"], layers["assessment"], layers["decision_pending"]) == (1, 2, 3, 4)
    for t in definition.transitions:  # an end state lies below every state leading into it
        if not t.returns_to_previous and definition.states[t.target].is_terminal:
            assert all(layers[t.target] > layers[source] for source in t.sources)
    merged = {(e.source, e.target): [t.action for t in e.transitions] for e in diagram.edges}
    assert merged["testing", "exiting"] == ["end_testing", "exit_early"]
    assert {(e.source, e.target) for e in diagram.edges if e.returns_to_previous} == {
        ("information_requested", "triage"), ("information_requested", "assessment"),
        ("reconsideration", "rejected"), ("reconsideration", "terminated")}
    assert len(diagram.edges) == len({(e.source, e.target, e.returns_to_previous) for e in diagram.edges})


def test_diagram_is_the_same_for_the_file_and_for_its_published_version():
    stored = definition_of(current_version(db.session))
    assert layout(stored) == layout(default_definition())


def test_diagram_draws_a_state_that_leads_to_itself_and_extra_states():
    raw = copy.deepcopy(tomllib.loads(DEFAULT_DEFINITION.read_text(encoding="utf-8")))
    raw["transitions"].append({"action": "note", "label": "Add a note", "from": ["triage"], "to": "triage",
                               "roles": ["case_officer"]})
    raw["states"]["on_hold"] = {"label": "On hold while a related matter is decided elsewhere"}
    raw["transitions"] += [{"action": "hold", "from": ["assessment"], "to": "on_hold", "roles": ["lead"]},
                           {"action": "release", "from": ["on_hold"], "to": "<previous>", "roles": ["lead"]}]
    definition = parse_definition(raw, GUARDS, EFFECTS)
    diagram = layout(definition)
    assert_well_drawn(definition, diagram)
    loop = next(e for e in diagram.edges if e.source == e.target == "triage")
    assert loop.path.startswith("M ") and " C " in loop.path
    held = next(node for node in diagram.nodes if node.state.name == "on_hold")
    assert held.lines == ("On hold while a", "related matter is…")  # a long label wraps onto two lines at most
    assert ("on_hold", "assessment") in {(e.source, e.target) for e in diagram.edges if e.returns_to_previous}
