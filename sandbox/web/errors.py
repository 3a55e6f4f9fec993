"""Error pages. None of them ever shows a stack trace; JSON callers get JSON."""

from __future__ import annotations

import logging

from flask import Flask, Response, current_app, jsonify, render_template, request
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from sandbox.core.errors import DomainError
from sandbox.web.access import ask_to_sign_in, requires_sign_in

log = logging.getLogger(__name__)


def _titles() -> dict[int, str]:
    return {
        400: _("There is a problem with your request"),
        403: _("You do not have permission to see this page"),
        404: _("Page not found"),
        405: _("This action is not available here"),
        409: _("This changed while you were working on it"),
        413: _("The file or form you sent is too large"),
        422: _("This cannot be done"),
        429: _("Too many attempts"),
        500: _("Sorry, there is a problem with the service"),
    }


def _messages() -> dict[int, str]:
    return {
        400: _("The service could not understand what was sent. Go back, reload the page and try again."),
        403: _("If you think you should have access, contact your team lead or the service administrator."),
        404: _("If you typed the web address, check it is correct. If you pasted it, check you copied all of it."),
        405: _("Go back and use the buttons on the page."),
        413: _("Files can be up to %(mb)s MB. Go back and choose a smaller file.",
               mb=current_app.config["SANDBOX_MAX_UPLOAD_MB"]),
        429: _("Wait a few minutes, then try again."),
        500: _("Nothing you sent has been saved. Try again later."),
    }


def wants_json() -> bool:
    if request.path.startswith(("/api/", "/healthz")):
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json" and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]


def render_error(status: int, message: str | None = None) -> tuple[Response | str, int]:
    title = _titles().get(status, _titles()[500] if status >= 500 else _titles()[400])
    body = message or _messages().get(status, "")
    if wants_json():
        return jsonify(error={"status": status, "title": title, "message": body}), status
    return render_template("errors/error.html", status=status, title=title, message=body), status


def init_app(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_failed(_error: CSRFError) -> tuple[Response | str, int] | Response:
        if not current_user.is_authenticated and requires_sign_in():
            return ask_to_sign_in()  # the session (and its token) expired: sign in again, nothing is lost
        return render_error(400, _(
            "Your form could not be sent because its security token was missing or had expired. "
            "Go back, reload the page and try again. Nothing has been saved."
        ))

    @app.errorhandler(DomainError)
    def domain_error(error: DomainError) -> tuple[Response | str, int]:
        return render_error(error.status_code, error.message)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> tuple[Response | str, int]:
        status = error.code or 500
        # Werkzeug's default descriptions are for developers; ours are for people, except where a
        # view or an extension (the rate limiter) set a specific message.
        custom = error.description if error.description != type(error).description else None
        return render_error(status, custom)

    @app.errorhandler(Exception)
    def unexpected_error(error: Exception) -> tuple[Response | str, int]:
        if isinstance(error, HTTPException):
            return http_error(error)
        log.exception("unhandled error on %s %s", request.method, request.path)
        return render_error(InternalServerError.code)
