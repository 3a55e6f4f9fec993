"""The staff case view and the actions taken from it. (Being built: this is a placeholder page.)"""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user

from sandbox.core.permissions import staff
from sandbox.extensions import db
from sandbox.reviews.access import case_for_staff

bp = Blueprint("case", __name__, url_prefix="/cases")


@bp.get("/<int:case_id>")
@staff
def show(case_id: int) -> str:
    case = case_for_staff(db.session, current_user, case_id)
    return render_template("review/case.html", case=case)
