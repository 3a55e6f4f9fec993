"""The leads' dashboard: open and overdue cases, time to decision, workload (figures in sandbox.reviews.statistics)."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user

from sandbox.core.permissions import Role, roles
from sandbox.extensions import db
from sandbox.reviews.statistics import dashboard_figures
from sandbox.workflow.engine import regulator_today

bp = Blueprint("dashboard", __name__, url_prefix="/dashboard")


@bp.get("/")
@roles(Role.LEAD, Role.DECISION_MAKER, Role.ADMIN)
def show() -> str:
    figures = dashboard_figures(db.session, regulator_today(), viewer_id=current_user.id)
    return render_template("review/dashboard.html", figures=figures)
