"""The workflow, for the regulator's staff: who may move a case from which state to which, as a picture."""

from __future__ import annotations

from collections.abc import Collection

from flask import Blueprint, abort, render_template
from flask_babel import gettext as _
from sqlalchemy import select

from sandbox.core.permissions import Role, staff
from sandbox.extensions import db
from sandbox.workflow.definition import SYSTEM_ROLE
from sandbox.workflow.diagram import layout
from sandbox.workflow.models import WorkflowVersion
from sandbox.workflow.versions import current_version, definition_of

bp = Blueprint("workflow", __name__)


@bp.get("/workflow")
@staff
def show() -> str:
    return _page(current_version(db.session))


@bp.get("/workflow/versions/<int:number>")
@staff
def version(number: int) -> str:
    found = db.session.scalars(select(WorkflowVersion).where(WorkflowVersion.name == "default",
                                                             WorkflowVersion.number == number)).one_or_none()
    if found is None:
        abort(404)
    return _page(found)


def _page(shown: WorkflowVersion) -> str:
    versions = db.session.scalars(select(WorkflowVersion).where(WorkflowVersion.name == shown.name)
                                  .order_by(WorkflowVersion.number)).all()
    definition = definition_of(shown)
    return render_template("workflow/show.html", version=shown, versions=versions, definition=definition,
                           diagram=layout(definition), who_may_act=who_may_act)


def who_may_act(roles: Collection[str]) -> str:
    """The roles' labels in the usual order, the system's timers last."""
    labels = [role.label for role in Role if role.value in roles]
    return ", ".join([*labels, _("System (timer)")] if SYSTEM_ROLE in roles else labels)
