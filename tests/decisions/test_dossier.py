"""The case dossier: the application as last sent, documents with their hashes, the checklist, information requests
and answers, recommendation, decision, letters and audit trail, from plain data, as a PDF that passes qpdf."""

from __future__ import annotations

import io
import json
import subprocess
from datetime import timedelta

from flask import Flask
from sqlalchemy import select

from sandbox.applications import documents
from sandbox.cases.models import Case
from sandbox.core.audit import AuditEvent
from sandbox.core.db import utcnow
from sandbox.decisions.dossier import dossier_data, render_dossier
from sandbox.decisions.letters import Letter
from sandbox.decisions.models import Decision
from sandbox.decisions.rendering import long_date
from sandbox.extensions import db
from sandbox.reviews.information_requests import answer_information_request, send_information_request
from sandbox.workflow.engine import regulator_today
from tests.factories import pick_up
from tests.reviews.conftest import Staff


def pdf_text(pdf: bytes, tmp_path) -> str:
    path = tmp_path / "dossier.pdf"
    path.write_bytes(pdf)
    check = subprocess.run(["qpdf", "--check", str(path)], capture_output=True, text=True, check=False)
    assert check.returncode == 0, check.stdout + check.stderr
    return subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout


def test_dossier_holds_the_whole_file_of_the_case(app: Flask, staff: Staff, submitted_case: Case, checklist,
                                                  tmp_path):
    case = submitted_case
    pick_up(case, staff.officer)
    request = send_information_request(db.session, case, staff.officer, ["Who can stop the model?"],
                                       regulator_today() + timedelta(days=10), expected_version=case.version)
    db.session.commit()
    storage = documents.storage_for(app)
    document = documents.upload_document(db.session, storage, case, staff.applicant,
                                         io.BytesIO(b"%PDF-1.4\n% a model card\n"), "model-card.pdf", None, 10_000)
    question = request.questions[0]
    answer_information_request(db.session, case, staff.applicant, {question.id: "The head of risk, at any time."},
                               expected_version=case.version)
    db.session.commit()
    checklist.append({"section_title": "Governance", "code": "GOV-01", "title": "Accountable senior manager",
                      "provisions": "EU AI Act Art. 9", "mandatory": True, "rating": "not_met",
                      "rating_note": "No one named yet.", "rated_by": staff.officer.full_name, "rated_at": utcnow(),
                      "applicant_statement": "We will name one."})
    data = dossier_data(db.session, case, staff.lead)
    json.dumps(data)  # plain data only: nothing the renderer could lazy-load from
    assert data["application"]["revision"] == 2 and data["documents"][0]["sha256"] == document.sha256
    text = pdf_text(render_dossier(db.session, case, staff.lead), tmp_path)
    flat = "".join(text.split())
    for expected in (case.reference, "Who can stop the model?", "The head of risk, at any time.", "GOV-01",
                     "No one named yet.", "model-card.pdf", "case.request_information"):
        assert expected in text, expected
    assert document.sha256 in flat
    assert db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.seq.desc())).first() \
        == "case.dossier_generated"


def test_dossier_lists_the_decision_and_the_letters_with_both_hashes(app: Flask, staff: Staff, issued: Letter,
                                                                     tmp_path):
    case = db.session.get(Case, issued.case_id)
    data = dossier_data(db.session, case, staff.decider)
    assert [d["outcome"] for d in data["decisions"]] == ["Admitted with conditions"]
    assert [r["outcome"] for r in data["recommendations"]] == ["Admit with conditions"]
    assert data["letters"] == [{"number": issued.number, "kind": "Admission with conditions", "state": "issued",
                                "issued_at": issued.issued_at.isoformat(), "content_sha256": issued.content_sha256,
                                "pdf_sha256": issued.pdf_sha256, "supersedes": None}]
    text = pdf_text(render_dossier(db.session, case, staff.decider), tmp_path)
    flat = "".join(text.split())
    assert issued.number in text and "Report monthly on complaints" in text
    # Test parameters read as the decision form names them, dates written out (not "end_on 2026-...").
    decided = db.session.scalars(select(Decision).where(Decision.case_id == case.id)).one()
    parameters = [row["label"] for row in data["decisions"][0]["test_parameters"]]
    assert parameters[:2] == ["Testing may start on", "Testing must end by"]
    assert "Testing must end by" in text and long_date(decided.test_parameters["end_on"]) in text
    assert issued.content_sha256 in flat and issued.pdf_sha256 in flat
    assert "letter.issued" in text
