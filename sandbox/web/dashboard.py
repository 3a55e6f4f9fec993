"""The leads' dashboard. (Being built: this is a placeholder page.)"""

from __future__ import annotations

from flask import Blueprint, render_template

from sandbox.core.permissions import Role, roles

bp = Blueprint("dashboard", __name__, url_prefix="/dashboard")


@bp.get("/")
@roles(Role.LEAD, Role.DECISION_MAKER, Role.ADMIN)
def show() -> str:
    return render_template("review/dashboard.html")
