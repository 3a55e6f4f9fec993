"""Posting a form: run one domain action, and on a mistake show the page again with the messages beside the
fields and what was typed, having saved nothing (422; 409 when someone else changed it first).

`submit_form` serves the case view's forms and the checklist's (403 and 404 are raised on to the error pages);
`field_messages` turns a schema's refusal into one message per field for every form of the service.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from typing import Any

from flask import flash, redirect
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from marshmallow import ValidationError

from sandbox.core.errors import DomainError
from sandbox.extensions import db
from sandbox.reviews.schemas_case import DATE_FIELDS, InvalidInput
from sandbox.workflow.engine import GuardFailed, StaleCase

DATE_INPUTS = frozenset({*DATE_FIELDS, "due_on"})
Render = Callable[[dict[str, str]], str]


def submit_form(act: Callable[[], object], render: Render, done: str, then: str | Callable[[], str], *,
                rename: Mapping[str, str] | None = None) -> ResponseReturnValue:
    """Run `act`; on success flash `done` and redirect (303) to `then` (a URL, or made after the action)."""
    try:
        act()
    except ValidationError as error:
        return _again(render, field_messages(error), 422, rename)
    except InvalidInput as error:
        return _again(render, error.errors, 422, rename)
    except GuardFailed as error:
        return _again(render, {"": " ".join(error.messages)}, 422, rename)
    except StaleCase:
        return _again(render, {"": _("Someone changed this case while you were working on it. This page now shows "
                                     "the latest version, and what you typed is kept: check it, then send again.")},
                      409, rename)
    except DomainError as error:
        if error.status_code in (403, 404):
            raise
        return _again(render, {error.field or "": error.message}, error.status_code, rename)
    flash(done, "success")
    return redirect(then if isinstance(then, str) else then(), 303)


def _again(render: Render, errors: Mapping[str, Any], status: int,
           rename: Mapping[str, str] | None) -> tuple[str, int]:
    db.session.rollback()  # nothing half-done is shown; the page reloads the case as it is now
    rename = rename or {}
    return render({rename.get(key, key): str(message) for key, message in errors.items()}), status


def field_messages(error: ValidationError, *, general: str = "") -> dict[str, str]:
    """One message per field (the first, however deep a list's entries nest theirs); messages about the form as
    a whole under `general`."""
    raw: Any = error.normalized_messages()
    if not isinstance(raw, dict):
        return {general: " ".join(map(str, raw if isinstance(raw, list) else [raw]))}
    return {(general if key == "_schema" else key): _first(value) for key, value in raw.items()}


def _first(messages: Any) -> str:
    while isinstance(messages, list | dict) and messages:
        messages = messages[0] if isinstance(messages, list) else next(iter(messages.values()))
    return str(messages)


def error_list(errors: Mapping[str, str], date_inputs: Collection[str] = DATE_INPUTS) -> list[dict[str, str]]:
    """The error summary's links: to the field, or the first box of a date."""
    return [{"text": message, "href": "#" + (f"{key}-day" if key in date_inputs else key)}
            for key, message in errors.items()]
