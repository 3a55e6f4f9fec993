"""The plain data letters are rendered from: what each kind must carry, what is refused, and the content hash."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from marshmallow import ValidationError

from sandbox.decisions.letter_data import KINDS, content_sha256, dump_letter_data
from tests.decisions.samples import letter_data


def messages(data: dict[str, Any]) -> dict[str, Any]:
    with pytest.raises(ValidationError) as caught:
        dump_letter_data(data)
    return caught.value.normalized_messages()


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("issued", [False, True])
def test_dump_letter_data_sample_of_each_kind_is_valid_plain_json(kind: str, issued: bool):
    dumped = dump_letter_data(letter_data(kind, issued=issued))
    assert dumped["kind"] == kind and dumped["is_draft"] is not issued
    assert dumped["case"]["submitted_on"] == "2026-01-12"  # dates dump back to ISO strings


def test_dump_letter_data_rejection_without_reasons_or_challenge_says_both():
    data = letter_data("rejection", challenge=None)
    data["decision"]["reasons"] = []
    errors = messages(data)
    assert errors["decision"] == ["A rejection letter must give the reasons for the decision."]
    assert errors["challenge"] == ["A rejection letter must say how and by when the decision can be challenged."]


@pytest.mark.parametrize(("kind", "change", "field", "message"), [
    ("admission", {"testing": None}, "testing", "must set out the testing"),
    ("suspension", {"challenge": None}, "challenge", "how and by when"),
    ("information_request", {"information_request": None}, "information_request", "Only a request for information"),
    ("exit", {"exit_record": None}, "exit_record", "Only an exit letter"),
    ("waitlist", {"exit_record": {"ended_on": "2026-01-01", "summary": "x"}}, "exit_record", "Only an exit letter"),
])
def test_dump_letter_data_kind_rules_refuse_missing_or_foreign_blocks(kind: str, change: dict[str, Any], field: str,
                                                                      message: str):
    errors = messages(letter_data(kind, **change))
    assert message in " ".join(errors[field])


def test_dump_letter_data_outcome_must_fit_the_kind():
    data = letter_data("admission")
    data["decision"]["outcome"] = "rejected"
    assert "carries the outcome admitted" in messages(data)["decision"][0]


def test_dump_letter_data_suspension_needs_effective_date():
    data = letter_data("suspension")
    data["decision"]["effective_on"] = None
    assert "from when it takes effect" in messages(data)["decision"][0]


@pytest.mark.parametrize("path", [("surprise",), ("case", "internal_notes"), ("regulator", "secret"),
                                  ("testing", "limits", "colour")])
def test_dump_letter_data_unknown_fields_refused_at_every_level(path: tuple[str, ...]):
    data = letter_data("admission")
    target = data
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = "x"
    errors = messages(data)
    for key in path[:-1]:
        errors = errors[key]
    assert errors[path[-1]] == ["Unknown field."]


@pytest.mark.parametrize("logo", ["../../etc/passwd.svg", "/etc/logo.svg", "http://127.0.0.1:9/logo.svg",
                                  "file:///etc/logo.svg", "img/logo.gif"])
def test_dump_letter_data_logo_must_be_a_static_path(logo: str):
    data = letter_data("waitlist")
    data["regulator"]["logo"] = logo
    assert "path under static/" in messages(data)["regulator"]["logo"][0]


def test_dump_letter_data_draft_carries_no_number_date_or_verification():
    issued = letter_data("waitlist", issued=True)
    errors = messages({**issued, "is_draft": True})
    assert set(errors) == {"number", "issued_on", "verification"}


def test_dump_letter_data_issued_needs_number_date_and_matching_hash():
    assert set(messages({**letter_data("waitlist"), "is_draft": False})) == {"number", "issued_on", "verification"}
    tampered = letter_data("waitlist", issued=True)
    tampered["decision"]["legal_basis"] = "Something else"
    assert "content hash does not match" in messages(tampered)["verification"][0]
    wrong_number = letter_data("waitlist", issued=True)
    wrong_number["verification"]["number"] = "SBX/L/2026/000999"
    assert "own number" in messages(wrong_number)["verification"][0]


def test_content_sha256_ignores_verification_and_draft_flag_but_not_content():
    draft, issued = letter_data("admission"), letter_data("admission", issued=True)
    numbered_draft = {**draft, "number": issued["number"], "issued_on": issued["issued_on"]}
    assert content_sha256(numbered_draft) == content_sha256(issued)
    changed = copy.deepcopy(issued)
    changed["conditions"][0] += "!"
    assert content_sha256(changed) != content_sha256(issued)


def test_content_sha256_same_whether_defaults_are_left_out_or_spelled_out():
    data = letter_data("waitlist")
    del data["checklist_annex"], data["supersedes"], data["conditions"]
    assert content_sha256(data) == content_sha256(dump_letter_data(letter_data("waitlist")))
