"""Signing in and out, and changing a password."""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from flask import Blueprint, Flask, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_user, logout_user
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovPasswordInput, GovSubmitInput, GovTextInput
from sqlalchemy.orm import joinedload
from wtforms import PasswordField, StringField, SubmitField
from wtforms.validators import Email, EqualTo, InputRequired, Length

from sandbox.accounts import operations
from sandbox.accounts.models import User
from sandbox.accounts.passwords import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH
from sandbox.core.errors import DomainError
from sandbox.core.permissions import public, signed_in
from sandbox.extensions import db, limiter, login_manager

log = logging.getLogger(__name__)
bp = Blueprint("auth", __name__)

SIGN_IN_LIMIT_PER_ACCOUNT = "5 per 15 minutes"
SIGN_IN_LIMIT_PER_ADDRESS = "50 per 15 minutes"


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.session_protection = "strong"
    login_manager.login_view = "auth.sign_in"
    login_manager.login_message = _l("Sign in to see this page.")
    login_manager.login_message_category = "info"
    login_manager.user_loader(load_user)


def load_user(user_id: str) -> User | None:
    raw_id, _sep, token = user_id.partition(":")
    if not raw_id.isdigit() or not token:
        return None
    # Every page's header names the user's organisation: load it with the user, in one statement.
    user = db.session.get(User, int(raw_id), options=[joinedload(User.organisation)])
    if user is None or not user.is_active or user.session_token != token:
        return None  # deactivated, or the password changed since this session began
    return user


class SignInForm(FlaskForm):
    email = StringField(_l("Email address"), widget=GovTextInput(), validators=[
        InputRequired(message=_l("Enter your email address")),
        Length(max=254, message=_l("Email address must be 254 characters or fewer")),
        Email(message=_l("Enter an email address in the correct format, like name@example.com")),
    ])
    password = PasswordField(_l("Password"), widget=GovPasswordInput(), validators=[
        InputRequired(message=_l("Enter your password")),
        Length(max=MAX_PASSWORD_LENGTH, message=_l("Password is too long")),
    ])
    submit = SubmitField(_l("Sign in"), widget=GovSubmitInput())


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(_l("Current password"), widget=GovPasswordInput(), validators=[
        InputRequired(message=_l("Enter your current password")),
        Length(max=MAX_PASSWORD_LENGTH),
    ])
    new_password = PasswordField(_l("New password"), widget=GovPasswordInput(), validators=[
        InputRequired(message=_l("Enter a new password")),
        Length(min=MIN_PASSWORD_LENGTH, max=MAX_PASSWORD_LENGTH,
               message=_l("Your new password must be between %(min)d and %(max)d characters",
                          min=MIN_PASSWORD_LENGTH, max=MAX_PASSWORD_LENGTH)),
    ])
    confirm_password = PasswordField(_l("Confirm new password"), widget=GovPasswordInput(), validators=[
        InputRequired(message=_l("Confirm your new password")),
        EqualTo("new_password", message=_l("The passwords do not match")),
    ])
    submit = SubmitField(_l("Change password"), widget=GovSubmitInput())


def _submitted_email() -> str:
    return "sign-in:" + operations.normalise_email(request.form.get("email", ""))[:254]


def _failed_sign_in(response: object) -> bool:
    return getattr(response, "status_code", 0) != 303


@bp.route("/sign-in", methods=["GET", "POST"])
@public
@limiter.limit(SIGN_IN_LIMIT_PER_ACCOUNT, key_func=_submitted_email, methods=["POST"], deduct_when=_failed_sign_in,
               error_message=_l("There have been too many failed attempts to sign in to this account. "
                                "For your security, wait 15 minutes and then try again."))
@limiter.limit(SIGN_IN_LIMIT_PER_ADDRESS, methods=["POST"], deduct_when=_failed_sign_in,
               error_message=_l("There have been too many failed attempts to sign in from your network. "
                                "Wait 15 minutes and then try again."))
def sign_in() -> ResponseReturnValue:
    if current_user.is_authenticated:
        return redirect(url_for("home.index"), 303)
    form = SignInForm()
    if not form.validate_on_submit():
        return render_template("auth/sign_in.html", form=form), 422 if form.is_submitted() else 200
    user = operations.authenticate(db.session, form.email.data or "", form.password.data or "")
    if user is None:
        log.warning("failed sign-in", extra={"remote_addr": request.remote_addr})
        form.email.errors.append(_("The email address or password is not correct"))
        return render_template("auth/sign_in.html", form=form), 401
    login_user(user)
    operations.record_sign_in(db.session, user)
    return redirect(_safe_next(request.args.get("next")), 303)


@bp.post("/sign-out")
@signed_in
def sign_out() -> ResponseReturnValue:
    operations.record_sign_out(db.session, current_user)
    logout_user()
    flash(_("You have signed out."), "success")
    return redirect(url_for("auth.sign_in"), 303)


@bp.route("/account/password", methods=["GET", "POST"])
@signed_in
def change_password() -> ResponseReturnValue:
    form = ChangePasswordForm()
    if not form.validate_on_submit():
        return render_template("auth/change_password.html", form=form), 422 if form.is_submitted() else 200
    try:
        operations.change_password(db.session, current_user, current_password=form.current_password.data or "",
                                   new_password=form.new_password.data or "")
    except DomainError as error:
        form[error.field or "new_password"].errors.append(error.message)
        return render_template("auth/change_password.html", form=form), 422
    login_user(current_user._get_current_object())  # the session token rotated: keep this session, end the others
    flash(_("Your password has been changed. You have been signed out everywhere else."), "success")
    return redirect(url_for("home.index"), 303)


def _safe_next(target: str | None) -> str:
    """Only same-site paths: a `next` pointing elsewhere would make sign-in an open redirect."""
    if target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and target.startswith("/") and not target.startswith("//"):
            return target
    return url_for("home.index")
