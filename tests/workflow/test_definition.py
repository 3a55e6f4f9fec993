from __future__ import annotations

import copy
import tomllib
from pathlib import Path

import pytest
from flask import Flask

from sandbox.workflow.definition import DEFAULT_DEFINITION, WorkflowDefinitionError, parse_definition
from sandbox.workflow.rules import EFFECTS, GUARDS
from sandbox.workflow.versions import load_file

DEFAULT_RAW = tomllib.loads(DEFAULT_DEFINITION.read_text())


def parse(raw: dict) -> None:
    parse_definition(raw, GUARDS, EFFECTS)


def broken(change) -> dict:
    raw = copy.deepcopy(DEFAULT_RAW)
    change(raw)
    return raw


def transition(raw: dict, action: str) -> dict:
    return next(t for t in raw["transitions"] if t["action"] == action)


def test_default_definition_is_valid_and_covers_the_design_lifecycle():
    definition = load_file(DEFAULT_DEFINITION)
    assert definition.initial_state == "draft"
    for state in ("draft", "submitted", "triage", "information_requested", "assessment", "decision_pending",
                  "waitlisted", "admitted", "testing", "suspended", "exiting", "exit_review", "rejected",
                  "withdrawn", "terminated", "closed"):
        assert state in definition.states
    assert {s for s, st in definition.states.items() if st.is_terminal} == {"withdrawn", "lapsed", "discarded",
                                                                            "closed"}
    assert definition.transition_for("decision_pending", "admit").roles == {"decision_maker"}


@pytest.mark.parametrize(("change", "message"), [
    (lambda r: transition(r, "submit").update({"from": ["drafty"]}),
     "transition 'submit' starts from unknown state 'drafty'"),
    (lambda r: transition(r, "submit").update({"to": "nowhere"}),
     "transition 'submit' leads to unknown state 'nowhere'"),
    (lambda r: transition(r, "admit").update({"roles": ["janitor"]}),
     "transition 'admit' names unknown role 'janitor'"),
    (lambda r: transition(r, "admit").update({"guards": ["looks_fine"]}),
     "transition 'admit' names unknown guard 'looks_fine'"),
    (lambda r: transition(r, "submit").update({"effects": ["send_fax"]}),
     "transition 'submit' names unknown effect 'send_fax'"),
    (lambda r: r["transitions"].append({"action": "reopen", "from": ["closed"], "to": "draft", "roles": ["admin"]}),
     "terminal state 'closed' has an exit: transition 'reopen'"),
    (lambda r: r["states"].update({"limbo": {"label": "Limbo"}}), "state 'limbo' cannot be reached from 'draft'"),
    (lambda r: r.update({"initial_state": "start"}), "initial_state 'start' is not one of the states"),
    (lambda r: r["clock"].update({"basis": "lunar_days"}), "clock basis 'lunar_days' must be one of"),
    (lambda r: r["clock"].update({"jurisdiction": "XX"}), "clock jurisdiction 'XX' is not known"),
    (lambda r: r["transitions"].append(dict(transition(r, "submit"))), "transition 'submit' is defined twice"),
    (lambda r: r["transitions"].append({"action": "poke", "from": ["draft"]}),
     "transition 'poke' is missing to, roles"),
    (lambda r: r["states"]["testing"].pop("label"), "state 'testing' needs a label"),
])
def test_parse_definition_broken_definition_is_refused_naming_the_problem(change, message: str):
    with pytest.raises(WorkflowDefinitionError) as caught:
        parse(broken(change))
    assert any(message in problem for problem in caught.value.problems), caught.value.problems


def test_parse_definition_dead_end_state_is_refused():
    def make_dead_end(raw: dict) -> None:
        raw["states"]["parked"] = {"label": "Parked"}
        transition(raw, "waitlist")["to"] = "parked"

    with pytest.raises(WorkflowDefinitionError, match="state 'parked' is not terminal but has no exit"):
        parse(broken(make_dead_end))


def test_workflow_check_cli_reports_problems_and_exit_code(app: Flask, tmp_path: Path):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["workflow", "check"]).exit_code == 0
    bad = tmp_path / "bad.toml"
    bad.write_text(DEFAULT_DEFINITION.read_text().replace('to = "submitted"', 'to = "sent"'))
    result = runner.invoke(args=["workflow", "check", str(bad)])
    assert result.exit_code == 1
    assert "transition 'submit' leads to unknown state 'sent'" in result.output
    not_toml = tmp_path / "x.toml"
    not_toml.write_text("[states\n")
    assert "not valid TOML" in runner.invoke(args=["workflow", "check", str(not_toml)]).output
