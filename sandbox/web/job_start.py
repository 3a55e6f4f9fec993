"""Starting a background job from a request once, and only once, the request's transaction has committed.

A job reads what the request wrote (a batch of letters to issue, say), so it must not start before the commit, and
must not start at all if the request rolls back. A view calls `start_after_commit`; the session remembers the job,
the commit (see web/transactions.py) confirms it, and the request's teardown enqueues it (sandbox.jobs).
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlalchemy import event
from sqlalchemy.orm import Session

from sandbox.extensions import db
from sandbox.jobs import enqueue

_PENDING = "sandbox.jobs_pending"
_COMMITTED = "sandbox.jobs_committed"


def start_after_commit(name: str, **kwargs: Any) -> None:
    db.session().info.setdefault(_PENDING, []).append((name, kwargs))


def init_app(app: Flask) -> None:
    session_class = db.session.session_factory.class_
    if not event.contains(session_class, "after_commit", _confirm):
        event.listen(session_class, "after_commit", _confirm)
        event.listen(session_class, "after_rollback", _forget)

    @app.teardown_request
    def enqueue_committed_jobs(_error: BaseException | None) -> None:
        # Teardown runs after every after_request hook, so after the request's commit (or rollback).
        for name, kwargs in db.session().info.pop(_COMMITTED, []):
            enqueue(name, **kwargs)


def _confirm(session: Session) -> None:
    if pending := session.info.pop(_PENDING, None):
        session.info.setdefault(_COMMITTED, []).extend(pending)


def _forget(session: Session) -> None:
    session.info.pop(_PENDING, None)
