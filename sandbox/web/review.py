"""Regulator pages about one case. (The queue and the full case view arrive with the review issue.)"""

from __future__ import annotations

from itertools import pairwise

from flask import Blueprint, render_template
from flask_login import current_user
from sqlalchemy import select

from sandbox.applications.models import ApplicationDraft, ApplicationRevision
from sandbox.applications.revisions import revision_changes
from sandbox.core.permissions import staff
from sandbox.extensions import db
from sandbox.reviews.access import case_for_staff
from sandbox.reviews.models import InformationRequest

bp = Blueprint("review", __name__, url_prefix="/cases")


@bp.get("/<int:case_id>/revisions")
@staff
def revisions(case_id: int) -> str:
    """Every revision of the application, newest first, each with what changed since the one before."""
    case = case_for_staff(db.session, current_user, case_id)
    revisions = db.session.scalars(select(ApplicationRevision).where(ApplicationRevision.case_id == case.id)
                                   .order_by(ApplicationRevision.number)).all()
    compared = [{"revision": newer, "changes": revision_changes(older, newer)}
                for older, newer in pairwise(revisions)]
    requests = db.session.scalars(select(InformationRequest).where(InformationRequest.case_id == case.id)
                                  .order_by(InformationRequest.id)).all()
    return render_template("review/revisions.html", case=case, draft=db.session.get(ApplicationDraft, case.id),
                           first=revisions[0] if revisions else None, compared=list(reversed(compared)),
                           info_requests=requests)
