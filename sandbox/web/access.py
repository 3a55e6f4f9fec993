"""Enforces the access rule every route declares (see sandbox.core.permissions). Deny by default."""

from __future__ import annotations

import logging

from flask import Flask, abort, current_app, request
from flask_login import current_user

from sandbox.core.permissions import access_rule_of
from sandbox.extensions import login_manager

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
        return login_manager.unauthorized()
    if not rule.allows(current_user.role_enum):
        abort(403)
    return None
