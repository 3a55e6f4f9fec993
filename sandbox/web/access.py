"""Enforces the access rule every route declares (see sandbox.core.permissions). Deny by default."""

from __future__ import annotations

import logging

from flask import Flask, Response, abort, current_app, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from sandbox.core.permissions import access_rule_of

log = logging.getLogger(__name__)

# Flask's own static route is a bound method that cannot carry a rule; it is public by nature.
PUBLIC_ENDPOINTS = frozenset({"static"})


def init_app(app: Flask) -> None:
    app.before_request(enforce_access_rule)


def enforce_access_rule() -> object | None:
    endpoint = request.endpoint
    if endpoint is None or endpoint in PUBLIC_ENDPOINTS:
        return None  # no route matched: the 404/405 handler answers
    rule = access_rule_of(current_app.view_functions.get(endpoint))
    if rule is None:
        log.error("route %s declares no access rule; refusing", endpoint)
        abort(403)
    if rule.is_public:
        return None
    if not current_user.is_authenticated:
        return ask_to_sign_in()
    if not rule.allows(current_user.role_enum):
        abort(403)
    return None


def requires_sign_in() -> bool:
    rule = access_rule_of(current_app.view_functions.get(request.endpoint or ""))
    return rule is not None and not rule.is_public


def ask_to_sign_in() -> Response:
    """Send a signed-out visitor (or one whose session expired mid-form) to sign in, then back to the page.

    After a POST the page to return to is the form's own page when it has one, otherwise the page the
    form was on; sign-in only follows same-site paths.
    """
    if request.method == "GET" or "GET" in (request.url_rule.methods or set()):
        back_to = request.full_path.rstrip("?") if request.method == "GET" else request.path
    else:
        back_to = request.referrer or url_for("home.index")
    if request.method == "GET":
        flash(_("Sign in to see this page."), "info")
    else:
        flash(_("Your session ended, so you need to sign in again. If you were typing, your answers are kept "
                "on this device and will be put back."), "info")
    return redirect(url_for("auth.sign_in", next=back_to))
