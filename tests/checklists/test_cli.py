"""`flask checklists check` lists every problem of a template file; `publish` makes it the version in force."""

from __future__ import annotations

from pathlib import Path

from flask import Flask

from sandbox.checklists.templates import DEFAULT_CODE, latest_published
from sandbox.extensions import db

BROKEN = '''
code = "broken-checklist"
name = "A broken checklist"
version_label = "0.1"

[regimes]
eu_ai_act = "EU AI Act"

[[sections]]
code = "governance"
title = "Governance"

[[sections.items]]
code = "GOV-01"
title = "Named senior manager"
outcome = "Someone is accountable."
process = "The board appoints them."
evidence = "The board minute."
mandatory = true
evidence_required = "document"
provisions = [{ regime = "eu_ai_act", citation = "Art. 17" }]

[[sections.items]]
code = "GOV-01"
outcome = "Twice."
process = "Twice."
evidence = "Twice."
mandatory = "yes"
evidence_required = "video"
provisions = [{ regime = "hkma", citation = "Section 3" }, { regime = "eu_ai_act", citation = "" }]
'''


def run(app: Flask, *args: str):
    return app.test_cli_runner().invoke(args=["checklists", *args])


def test_check_of_the_bundled_file_says_ok(app: Flask):
    result = run(app, "check")
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "OK: 54 items in 13 sections"


def test_check_of_a_broken_file_lists_every_problem_and_fails(app: Flask, tmp_path: Path):
    path = tmp_path / "broken.toml"
    path.write_text(BROKEN, encoding="utf-8")
    result = run(app, "check", str(path))
    assert result.exit_code == 1
    for problem in ("GOV-01: 'title' is missing", "GOV-01: 'mandatory' must be true or false",
                    "GOV-01: 'evidence_required' must be document, note or both", "GOV-01: unknown regime 'hkma'",
                    "GOV-01: each provision needs a regime and a citation", "item code GOV-01 is used twice",
                    "6 problem(s) found; nothing was published"):
        assert problem in result.output, problem
    assert latest_published(db.session, "broken-checklist") is None


def test_check_of_a_file_that_is_not_toml_fails(app: Flask, tmp_path: Path):
    path = tmp_path / "not.toml"
    path.write_text("code = [unclosed", encoding="utf-8")
    result = run(app, "check", str(path))
    assert result.exit_code == 1 and "cannot read not.toml" in result.output


def test_publish_makes_the_file_the_version_in_force_once(app: Flask):
    result = run(app, "publish")
    assert result.exit_code == 0, result.output
    assert f"{DEFAULT_CODE} checklist: version 1 (2026.1) is in force for new cases (54 items)" in result.output
    again = run(app, "publish")
    assert again.exit_code == 0 and "already has this content and stays in force" in again.output
    db.session.expire_all()
    assert latest_published(db.session).version == 1
