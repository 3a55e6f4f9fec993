"""The start page and the health check."""

from __future__ import annotations

import logging

from flask import Blueprint, Response, jsonify, render_template
from flask_login import current_user
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from sandbox.core.permissions import public
from sandbox.extensions import db, limiter

log = logging.getLogger(__name__)
bp = Blueprint("home", __name__)


@bp.get("/")
@public
def index() -> str:
    template = "home/signed_in.html" if current_user.is_authenticated else "home/start.html"
    return render_template(template)


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
