"""Account operations. Each flushes and records an audit event; the caller commits."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sandbox.accounts.models import Organisation, OrganisationKind, User, new_session_token
from sandbox.accounts.passwords import (
    MAX_PASSWORD_LENGTH,
    MIN_PASSWORD_LENGTH,
    hash_password,
    needs_rehash,
    verify_password,
)
from sandbox.core.audit import record_event
from sandbox.core.db import utcnow
from sandbox.core.errors import DomainError
from sandbox.core.permissions import Role


def normalise_email(email: str) -> str:
    return email.strip().lower()


def find_user_by_email(session: Session, email: str) -> User | None:
    return session.scalars(select(User).where(User.email == normalise_email(email))).one_or_none()


def create_organisation(
    session: Session, *, name: str, kind: OrganisationKind, registration_number: str | None = None,
    actor: User | None = None,
) -> Organisation:
    name = name.strip()
    if session.scalar(select(func.count()).select_from(Organisation).where(Organisation.name == name)):
        raise DomainError(_("An organisation called %(name)s already exists.", name=name))
    organisation = Organisation(name=name, kind=kind.value, registration_number=registration_number)
    session.add(organisation)
    session.flush()
    record_event(session, actor_id=actor.id if actor else None, action="organisation.created",
                 object_type="organisation", object_id=organisation.id, details={"name": name, "kind": kind.value})
    return organisation


def create_user(
    session: Session, *, organisation: Organisation, email: str, full_name: str, role: Role, password: str,
    job_title: str | None = None, actor: User | None = None,
) -> User:
    if role.is_staff != organisation.is_regulator:
        raise DomainError(_("Staff roles belong to the regulator; applicants belong to an applicant organisation."))
    check_password_rules(password)
    email = normalise_email(email)
    if find_user_by_email(session, email) is not None:
        raise DomainError(_("A user with this e-mail address already exists."))
    user = User(organisation=organisation, email=email, full_name=full_name.strip(), role=role.value,
                job_title=job_title, password_hash=hash_password(password), password_changed_at=utcnow())
    session.add(user)
    session.flush()
    record_event(session, actor_id=actor.id if actor else None, action="user.created", object_type="user",
                 object_id=user.id, details={"email": email, "role": role.value, "organisation_id": organisation.id})
    return user


def authenticate(session: Session, email: str, password: str) -> User | None:
    """The active user with these credentials, or None; takes as long whether or not the e-mail exists."""
    user = find_user_by_email(session, email)
    if not verify_password(user.password_hash if user else None, password) or user is None:
        return None
    if not user.is_active:
        return None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user


def record_sign_in(session: Session, user: User) -> None:
    user.last_signed_in_at = utcnow()
    record_event(session, actor_id=user.id, action="user.signed_in", object_type="user", object_id=user.id)


def record_sign_out(session: Session, user: User) -> None:
    record_event(session, actor_id=user.id, action="user.signed_out", object_type="user", object_id=user.id)


def change_password(session: Session, user: User, *, current_password: str, new_password: str) -> None:
    if not verify_password(user.password_hash, current_password):
        raise DomainError(_("Your current password is not correct."), field="current_password")
    if new_password == current_password:
        raise DomainError(_("Your new password must be different from your current password."), field="new_password")
    check_password_rules(new_password, field="new_password")
    user.password_hash = hash_password(new_password)
    user.password_changed_at = utcnow()
    user.session_token = new_session_token()
    session.flush()
    record_event(session, actor_id=user.id, action="user.password_changed", object_type="user", object_id=user.id)


def check_password_rules(password: str, *, field: str = "password") -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise DomainError(_("Your password must be at least %(count)d characters long.", count=MIN_PASSWORD_LENGTH),
                          field=field)
    if len(password) > MAX_PASSWORD_LENGTH:
        raise DomainError(_("Your password must be %(count)d characters or fewer.", count=MAX_PASSWORD_LENGTH),
                          field=field)
