"""The web layer: one blueprint per audience, plus access control, error pages and response headers."""

from __future__ import annotations

from flask import Flask
from govuk_frontend_wtf.main import WTFormsHelpers

from sandbox.jobs import start_jobs_after_commit
from sandbox.web import (
    access,
    admin,
    auth,
    case,
    case_checklist,
    dashboard,
    documents,
    errors,
    home,
    letters,
    portal,
    portal_checklist,
    portal_letters,
    queue,
    review,
    security,
    transactions,
    verify,
    workflow,
)
from sandbox.web.navigation import navigation_for


def init_app(app: Flask) -> None:
    WTFormsHelpers(app)
    transactions.init_app(app)
    start_jobs_after_commit(app)  # e-mail and jobs of a committed request go out after it, off the request
    security.init_app(app)
    access.init_app(app)
    errors.init_app(app)
    auth.init_app(app)
    app.register_blueprint(home.bp)
    app.register_blueprint(auth.bp)
    app.register_blueprint(workflow.bp)
    app.register_blueprint(portal.bp)
    app.register_blueprint(review.bp)
    app.register_blueprint(documents.bp)
    app.register_blueprint(queue.bp)
    app.register_blueprint(case.bp)
    app.register_blueprint(case_checklist.bp)
    app.register_blueprint(dashboard.bp)
    app.register_blueprint(admin.bp)
    app.register_blueprint(portal_checklist.bp)
    app.register_blueprint(letters.bp)
    app.register_blueprint(portal_letters.bp)
    app.register_blueprint(verify.bp)
    app.jinja_env.globals["navigation_for"] = navigation_for
    app.jinja_env.globals["service_name"] = "Sandbox"
