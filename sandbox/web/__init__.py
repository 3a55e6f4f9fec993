"""The web layer: one blueprint per audience, plus access control, error pages and response headers."""

from __future__ import annotations

from flask import Flask
from govuk_frontend_wtf.main import WTFormsHelpers

from sandbox.jobs import deliver_mail_after_request
from sandbox.web import (
    access,
    auth,
    case,
    dashboard,
    documents,
    errors,
    home,
    portal,
    queue,
    review,
    security,
    transactions,
    workflow,
)
from sandbox.web.navigation import navigation_for


def init_app(app: Flask) -> None:
    WTFormsHelpers(app)
    transactions.init_app(app)
    deliver_mail_after_request(app)  # e-mail queued by a committed request goes out after it, off the request
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
    app.register_blueprint(dashboard.bp)
    app.jinja_env.globals["navigation_for"] = navigation_for
    app.jinja_env.globals["service_name"] = "Sandbox"
