"""Realistic letter data for each kind: what the register would hand the renderer (tests and bench.letters)."""

from __future__ import annotations

import copy
from datetime import date, timedelta
from typing import Any

from sandbox.decisions.letter_data import content_sha256

REGULATOR = {
    "name": "Sandbox Regulatory Authority",
    "address_lines": ["Level 12, Harbour Building", "38 Pier Road", "Central, Hong Kong"],
    "logo": "img/regulator-logo.svg",
    "website": "https://sandbox.example.org",
}
CHECKLIST = {
    "Governance": ["Accountable senior manager named", "Board approval of the test", "Risk appetite for the test set",
                   "Conflicts of interest managed", "Third-party model supplier assessed", "Record keeping in place"],
    "Data": ["Lawful basis for processing", "Training data provenance documented", "Data quality checks",
             "Data minimisation", "Retention and deletion schedule", "Cross-border transfers assessed"],
    "Model": ["Model documentation complete", "Validation on hold-out data", "Explainability of outputs",
              "Bias testing across protected groups", "Robustness and drift monitoring", "Version control and freeze"],
    "Testing plan": ["Objectives and success measures", "Customer limits justified", "Exit plan",
                     "Kill switch tested", "Incident response plan", "Reporting schedule agreed"],
    "Consumer protection": ["Informed consent of participants", "Complaints handling", "Redress and compensation",
                            "Vulnerable customers identified", "Plain-language disclosures", "Opt-out without penalty"],
}
RATINGS = ("Met", "Partly met", "Met", "Not applicable", "Met", "Not met")
CONDITIONS = [
    "Serve only the customer types listed under Limits, and no more than the maximum number of customers.",
    "Tell every participating customer, before they take part, that the service is being tested in the sandbox "
    "and how they can leave the test at any time without penalty.",
    "Keep a human reviewer in the loop for every credit decision the system recommends; the reviewer's decision "
    "is final and must be recorded with reasons.",
    "Keep the model version described in the application frozen; any change needs our written agreement first.",
    "Log every recommendation with its inputs, output, confidence score and the reviewer's decision, and keep the "
    "logs for seven years.",
    "Run the bias monitoring described in section 4.2 of the application weekly and send us the results monthly.",
    "Maintain the complaints channel described in the application and answer each complaint within 10 working days.",
    "Appoint a named senior manager accountable for the test and tell us within 5 working days if they change.",
    "Do not use customer data collected in the test for any other purpose, including training other models.",
    "Keep the compensation arrangements described in section 6 in place until every claim arising from the test "
    "is settled.",
    "Allow our staff access to premises, systems and records relevant to the test on 2 working days' notice.",
    "Publish the plain-language summary we agree with you on your website for the whole testing period.",
]


def annex_rows(count: int = 30) -> list[dict[str, Any]]:
    """`count` checklist rows in section order, as the checklist feature lists them."""
    items = [(section, title) for section, titles in CHECKLIST.items() for title in titles]
    rows = []
    for i in range(count):
        section, title = items[i % len(items)]
        rows.append({"section": section, "code": f"{section[:3].upper()}-{i + 1:02d}", "title": title,
                     "rating": RATINGS[i % len(RATINGS)],
                     "note": "Policy and two months of records reviewed." if i % 3 else ""})
    return rows


def testing() -> dict[str, Any]:
    return {
        "scope": "Live testing of the CreditLens affordability model (version 2.3) as decision support for "
                 "unsecured personal loans of up to HKD 50,000, offered through the applicant's mobile app.",
        "start_on": "2026-05-01", "end_on": "2026-10-31",
        "how_to_extend": "Apply through the sandbox portal at least 30 days before the end date, with the interim "
                         "results and the reasons an extension is needed. One extension of up to six months may "
                         "be granted.",
        "limits": {"max_customers": 2500, "customer_types": ["Retail customers aged 21 or over",
                                                              "Existing customers of the applicant only"],
                   "max_exposure": "HKD 50,000 per customer; HKD 60 million in total",
                   "volume": "No more than 400 new loans a month"},
        "safeguards": ["Human review of every recommendation before a decision is communicated.",
                       "A kill switch tested monthly that returns all decisions to the existing manual process.",
                       "Weekly fairness monitoring across age, sex and district, with thresholds agreed with us."],
        "relief": ["The requirement to use only models validated under Guideline 7 is waived for this model.",
                   "Reporting under Circular 2024/11 may be quarterly rather than monthly."],
        "relief_limits": "The relief applies only to the tested model, only within the limits above and only "
                         "until the end date; it lapses at once if testing is suspended.",
        "reporting_obligations": ["A monthly report through the portal by the 10th of each month.",
                                  "An interim report at the midpoint of the testing period.",
                                  "A final report within 30 days of the end of testing."],
        "incident_deadline_hours": 24,
        "grounds_for_suspension": ["A breach of any condition or limit in this letter.",
                                   "An incident causing or risking material harm to customers.",
                                   "Information given to us that turns out to be false or misleading."],
        "exit_obligations": ["Stop offering the tested service to new customers on the end date.",
                             "Tell participating customers how their loans will be serviced after the test.",
                             "Send the final report and delete test data we ask you to delete."],
    }


BASE: dict[str, Any] = {
    "language": "en",
    "number": None, "issued_on": None, "is_draft": True, "verification": None, "supersedes": None,
    "regulator": REGULATOR,
    "addressee": {"organisation": "Harbourline Finance Limited", "contact_name": "Ms Grace Leung",
                  "address_lines": ["18/F, Kingsway Tower", "88 Queensway", "Admiralty, Hong Kong"]},
    "case": {"reference": "SBX-2026-0042", "system_name": "CreditLens", "system_version": "2.3",
             "sector": "Banking and credit", "risk_class": "High risk", "submitted_on": "2026-01-12"},
    "free_text": {"introduction": "Thank you for your application to test CreditLens in the sandbox.",
                  "remarks": ""},
    "conditions": [],
    "testing": None, "challenge": None, "information_request": None, "exit_record": None,
    "confidentiality": "This letter is confidential to you and to us. We publish the name of admitted firms, the "
                       "name of the tested system and the testing period on our sandbox register; we publish "
                       "nothing else without your agreement unless the law requires it.",
    "case_officer": {"name": "Daniel Chan", "email": "daniel.chan@sandbox.example.org"},
    "signatory": {"name": "Dr Helen Ng", "title": "Head of the AI Sandbox"},
    "checklist_annex": [],
}
CHALLENGE_HOW = ("Ask us for an internal review in writing through the sandbox portal, giving your grounds. A reviewer "
                 "who took no part in this decision will decide within 30 days. You may also appeal to the "
                 "Administrative Appeals Board.")
INTRODUCTIONS = {
    "admission": "Thank you for your application to test CreditLens in the AI sandbox.",
    "rejection": "Thank you for your application to test CreditLens in the AI sandbox.",
    "waitlist": "Thank you for your application to test CreditLens in the AI sandbox.",
    "information_request": "We are assessing your application to test CreditLens in the AI sandbox.",
    "suspension": "We have reviewed the incident you reported on 20 June 2026.",
    "termination": "We wrote to you on 25 June 2026 to suspend the testing of CreditLens.",
    "exit": "The testing of CreditLens in the AI sandbox has ended.",
}
REASONS = ["The application does not show how the model's recommendations would be reviewed by a person before "
           "reaching customers.",
           "The proposed safeguards against unfair outcomes for older customers were not tested before the "
           "application and no plan to test them was given."]

# Test parameters of an admission as the dossier shows them (dossier.parameter_rows).
PARAMETERS = [{"label": "Testing must end by", "value": "31 October 2026"},
              {"label": "Most customers", "value": "2,500"}]

BY_KIND: dict[str, dict[str, Any]] = {
    "admission": {"title": "Admission to the AI sandbox, with conditions", "testing": testing(),
                  "conditions": CONDITIONS, "checklist_annex": annex_rows(),
                  "decision": {"outcome": "admitted", "decided_on": "2026-03-27",
                               "legal_basis": "Section 12(1) of the AI Sandbox Rules 2025", "reasons": []}},
    "rejection": {"title": "Decision not to admit your application",
                  "decision": {"outcome": "rejected", "decided_on": "2026-03-27", "reasons": REASONS,
                               "legal_basis": "Section 12(3) of the AI Sandbox Rules 2025"}},
    "waitlist": {"title": "Your application has been placed on the waiting list",
                 "decision": {"outcome": "waitlisted", "decided_on": "2026-03-27",
                              "legal_basis": "Section 14 of the AI Sandbox Rules 2025",
                              "reasons": ["The current cohort is full; your application meets the criteria."]}},
    "information_request": {
        "title": "Request for further information",
        "information_request": {"questions": ["Describe how a reviewer can override a recommendation.",
                                              "Send the results of the bias tests mentioned in section 4.2.",
                                              "Who is the senior manager accountable for the test?"],
                                "due_on": "2026-04-17"},
        "decision": {"outcome": "information_requested", "decided_on": "2026-03-27",
                     "legal_basis": "Section 11(2) of the AI Sandbox Rules 2025", "reasons": []}},
    "suspension": {"title": "Suspension of testing", "testing": testing(),
                   "conditions": ["Send us a root-cause analysis of the incident of 20 June 2026.",
                                  "Show that the kill switch now works as described."],
                   "decision": {"outcome": "suspended", "decided_on": "2026-06-24", "effective_on": "2026-06-25",
                                "legal_basis": "Section 18 of the AI Sandbox Rules 2025", "reasons": REASONS[:1]}},
    "termination": {"title": "Termination of testing", "testing": testing(),
                    "decision": {"outcome": "terminated", "decided_on": "2026-07-20", "effective_on": "2026-07-31",
                                 "legal_basis": "Section 19 of the AI Sandbox Rules 2025", "reasons": REASONS}},
    "exit": {"title": "Exit from the sandbox: record of testing activities", "testing": testing(),
             "exit_record": {"ended_on": "2026-10-31",
                             "summary": "Testing ran for the full period within the limits set.",
                             "activities": ["1,932 customers took part; 3,104 loans were assessed.",
                                            "Two incidents were reported within the deadline and closed."]},
             "decision": {"outcome": "exited", "decided_on": "2026-11-20",
                          "legal_basis": "Section 21 of the AI Sandbox Rules 2025", "reasons": []}},
}


def letter_data(kind: str, *, issued: bool = False, number: str = "SBX/L/2026/000123",
                **overrides: Any) -> dict[str, Any]:
    """The data of a `kind` letter; issued ones get a number, a date and the matching verification line."""
    data = copy.deepcopy({**BASE, "kind": kind, **BY_KIND[kind]})
    decided_on = date.fromisoformat(data["decision"]["decided_on"])
    data["free_text"] = {"introduction": INTRODUCTIONS[kind], "remarks": ""}
    if kind in ("rejection", "suspension", "termination"):
        data["challenge"] = {"how": CHALLENGE_HOW, "deadline_on": (decided_on + timedelta(days=30)).isoformat()}
    data.update(copy.deepcopy(overrides))
    if issued:
        data.update(is_draft=False, number=number, issued_on=(decided_on + timedelta(days=3)).isoformat())
        data["verification"] = {"number": number, "content_sha256": content_sha256(data),
                                "url": "http://127.0.0.1:5000/verify/SBX-L-2026-000123"}
    return data


ACTIONS = ("case.submitted", "case.assigned", "checklist.item_rated", "information_request.sent",
           "application.resubmitted", "recommendation.made", "decision.made", "letter.drafted", "letter.issued")
PEOPLE = ("Daniel Chan", "Dr Helen Ng", "Grace Leung", "The service")


def dossier_data(*, checklist_items: int = 40, audit_events: int = 200, documents: int = 12) -> dict[str, Any]:
    """A case dossier's data, shaped as sandbox.decisions.dossier gathers it (render_document("dossier.html"))."""
    answer = ("The system recommends an affordability band for each applicant from their income, expenses and "
              "repayment history. A credit officer reviews every recommendation before a decision is made.")
    sections = [{"title": title, "rows": [{"label": f"Question {n} about {title.lower()}",
                                           "value": answer if n % 3 else "Yes"} for n in range(1, 6)]}
                for title in ("Organisation", "The AI system", "Data and model", "Testing plan", "Safeguards")]
    checklist = [{**row, "provisions": "Art. 57(5)", "mandatory": True, "rated_by": "Daniel Chan",
                  "rated_at": "2026-03-02T02:15:00+00:00", "applicant_statement": ""}
                 for row in annex_rows(checklist_items)]
    return {
        "title": "Case dossier SBX-2026-0042", "language": "en", "regulator": REGULATOR,
        "generated_at": "2026-04-02T02:15:00+00:00", "generated_by": "Dr Helen Ng",
        "case": {"reference": "SBX-2026-0042", "organisation": "Harbourline Finance Limited",
                 "system_name": "CreditLens", "state": "Testing", "submitted_at": "2026-01-12T01:30:00+00:00",
                 "workflow": "Standard admission, version 1", "case_officer": "Daniel Chan",
                 "decision_maker": "Dr Helen Ng"},
        "application": {"revision": 2, "sent_at": "2026-02-20T03:00:00+00:00",
                        "reason": "Answers to the request for information.", "sections": sections},
        "documents": [{"name": f"evidence-{n:02d}-bias-testing-results.pdf", "section": "Testing plan",
                       "uploaded_at": "2026-01-12T01:30:00+00:00", "uploaded_by": "Grace Leung",
                       "size": 120_000 + n * 3_700, "sha256": f"{n:02x}" * 32, "is_current": n % 5 != 0}
                      for n in range(documents)],
        "checklist": checklist,
        "information_requests": [{"sent_at": "2026-02-01T02:00:00+00:00", "sent_by": "Daniel Chan",
                                  "due_on": "2026-02-21", "status": "answered",
                                  "answered_at": "2026-02-20T03:00:00+00:00", "revision": 2,
                                  "questions": [{"text": q, "answer": "See revision 2, section 4."}
                                                for q in BY_KIND["information_request"]["information_request"][
                                                    "questions"]]}],
        "recommendations": [{"outcome": "Admit with conditions", "by": "Daniel Chan",
                             "at": "2026-03-20T02:00:00+00:00", "reasons": "", "conditions": CONDITIONS[:4],
                             "test_parameters": PARAMETERS}],
        "decisions": [{"outcome": "Admitted with conditions", "by": "Dr Helen Ng",
                       "at": "2026-03-27T06:00:00+00:00", "reasons": "", "conditions": CONDITIONS,
                       "test_parameters": PARAMETERS}],
        "letters": [{"number": "SBX/L/2026/000123", "kind": "Admission with conditions", "state": "issued",
                     "issued_at": "2026-03-30T01:00:00+00:00", "content_sha256": "cd" * 32, "pdf_sha256": "ab" * 32,
                     "supersedes": None}],
        "audit": [{"seq": n + 1, "at": f"2026-{1 + n // 70:02d}-{1 + n % 28:02d}T{n % 10:02d}:{n % 60:02d}:00+00:00",
                   "actor": PEOPLE[n % len(PEOPLE)], "action": ACTIONS[n % len(ACTIONS)],
                   "details": '{"item": "%s", "rating": "met"}' % (n % 40 + 1) if n % 2 else "{}",
                   "hash": f"{n:04x}" * 16} for n in range(audit_events)],
    }
