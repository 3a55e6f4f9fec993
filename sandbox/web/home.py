"""The start page and the health check."""

from __future__ import annotations

import logging

from flask import Blueprint, Response, jsonify, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import and_, func, or_, select, text, update
from sqlalchemy.exc import SQLAlchemyError

from sandbox.applications.models import Notification
from sandbox.cases.models import Case
from sandbox.core.db import utcnow
from sandbox.core.permissions import public, staff
from sandbox.extensions import db, limiter
from sandbox.reviews.models import CaseAssignment
from sandbox.workflow.engine import regulator_today

log = logging.getLogger(__name__)
bp = Blueprint("home", __name__)


@bp.get("/")
@public
def index() -> str:
    if not current_user.is_authenticated:
        return render_template("home/start.html")
    if not current_user.is_staff:
        return render_template("home/signed_in.html")
    return render_template("home/signed_in.html", **staff_workspace(current_user.id))


def staff_workspace(user_id: int) -> dict[str, object]:
    """What a member of staff sees first: their cases, declarations waiting, and their notifications."""
    today = regulator_today()
    mine = or_(Case.case_officer_id == user_id, Case.decision_maker_id == user_id)
    open_cases, overdue = db.session.execute(select(
        func.count(), func.count().filter(and_(Case.clock_state == "running", Case.deadline_on < today)))
        .where(Case.is_open, mine)).one()
    waiting = db.session.scalar(select(func.count()).select_from(CaseAssignment).where(
        CaseAssignment.user_id == user_id, CaseAssignment.ended_at.is_(None), CaseAssignment.declared_at.is_(None)))
    notifications = db.session.execute(
        select(Notification, Case.reference).outerjoin(Case, Case.id == Notification.case_id)
        .where(Notification.user_id == user_id).order_by(Notification.id.desc()).limit(20)).all()
    return {"my_open_cases": open_cases, "my_overdue_cases": overdue, "declarations_waiting": waiting,
            "staff_notifications": notifications}


@bp.post("/notifications/read")
@staff
def mark_notifications_read() -> Response:
    db.session.execute(update(Notification).where(Notification.user_id == current_user.id,
                                                  Notification.read_at.is_(None)).values(read_at=utcnow()))
    return redirect(url_for("home.index"), 303)


@bp.get("/healthz")
@public
@limiter.exempt
def healthz() -> tuple[Response, int]:
    try:
        db.session.execute(text("SELECT 1"))
        database = "ok"
    except SQLAlchemyError:
        log.exception("health check: database unreachable")
        database = "unavailable"
    status = 200 if database == "ok" else 503
    return jsonify(status="ok" if status == 200 else "degraded", database=database,
                   dialect=db.engine.dialect.name), status
