"""The applicant's letters: listed on the application's status page, each downloadable as it was issued.

Only issued letters of the applicant's own organisation's cases exist here; anything else is a 404.
"""

from __future__ import annotations

from flask import Blueprint
from flask.typing import ResponseReturnValue
from flask_login import current_user

from sandbox.applications.access import case_for_applicant
from sandbox.cases.models import Case
from sandbox.core.permissions import Role, roles
from sandbox.decisions.letter_content import KIND_LABELS
from sandbox.decisions.letter_register import issued_letter_of_case, issued_letters_of_case
from sandbox.decisions.letters import Letter
from sandbox.extensions import db
from sandbox.web.letters import letter_filename, pdf_attachment

bp = Blueprint("portal_letters", __name__, url_prefix="/applications/<int:case_id>/letters")


@bp.get("/<int:letter_id>.pdf")
@roles(Role.APPLICANT)
def download(case_id: int, letter_id: int) -> ResponseReturnValue:
    letter = issued_letter_of_case(db.session, case_for_applicant(db.session, current_user, case_id), letter_id)
    return pdf_attachment(letter.pdf or b"", letter_filename(letter))


@bp.app_template_global("applicant_letters")
def applicant_letters(case: Case) -> list[Letter]:
    """The status page's letters (the page has already checked the case is the applicant's own)."""
    return issued_letters_of_case(db.session, case)


@bp.app_template_global("letter_kind_label")
def letter_kind_label(kind: str) -> str:
    return str(KIND_LABELS[kind])
