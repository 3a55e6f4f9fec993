"""Background jobs: `enqueue(name, **kwargs)` after a commit, run by RQ or in-process.

SANDBOX_JOBS=rq puts the job on the RQ queue "sandbox" (run `flask --app sandbox jobs worker`). The embedded
default runs it in a daemon thread of the web process, in its own app context (so its own database session),
and the request does not wait for it. In tests (SANDBOX_ENV=test) a job runs at once, in the caller's thread:
no threads, no Redis, the same result on every run.

Jobs only speed things up: the outbox keeps every e-mail until it is sent, so a job that never runs (Redis down,
the process killed) delays mail until the next delivery — a later job, or `flask --app sandbox mail deliver`
from cron, which also retries failed attempts when their wait is over.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from flask import Flask, current_app
from redis import Redis
from sqlalchemy import event
from sqlalchemy.orm import Session

from sandbox.decisions.letter_batches import run_batch
from sandbox.extensions import db
from sandbox.notifications.delivery import deliver_pending, mail_backend_from_config
from sandbox.notifications.models import OutboxEmail

log = logging.getLogger("sandbox.jobs")

QUEUE_NAME = "sandbox"
_PENDING = "sandbox.jobs_pending"  # noted in the open transaction
_COMMITTED = "sandbox.jobs_committed"  # their transaction committed: enqueue at the request's teardown


def deliver_mail(limit: int = 100) -> None:
    """Send the queued e-mail that is due (the delivery loop commits after each e-mail)."""
    report = deliver_pending(db.session, mail_backend_from_config(current_app.config), limit=limit)
    log.info("mail delivery: %s", report.summary())


def issue_letters(batch_id: int) -> None:
    """Issue a batch of letters, each in its own transaction, then send the e-mails telling the applicants."""
    run_batch(db.session, batch_id)
    deliver_mail()


JOBS: dict[str, Callable[..., None]] = {"deliver_mail": deliver_mail, "issue_letters": issue_letters}


def enqueue(name: str, **kwargs: Any) -> None:
    """Run job `name` soon, outside the caller's transaction. Call it after the commit the job depends on."""
    if name not in JOBS:
        raise ValueError(f"unknown job {name!r}; known: {', '.join(sorted(JOBS))}")
    # The real app, not the proxy: a thread outlives the context the proxy points into.
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined] (Flask types the proxy as Flask)
    if app.config.get("SANDBOX_ENV") == "test":
        _run_in_app_context(app, name, kwargs)
    elif app.config.get("SANDBOX_JOBS") == "rq":
        _enqueue_on_rq(app, name, kwargs)
    else:
        threading.Thread(target=_run_logging_errors, args=(app, name, kwargs), name=f"job-{name}", daemon=True).start()


def run_job(name: str, **kwargs: Any) -> None:
    """What the RQ worker calls: the job in a fresh app context of the worker's app (see run_worker)."""
    _run_in_app_context(current_app._get_current_object(), name, kwargs)  # type: ignore[attr-defined] (as above)


def _run_in_app_context(app: Flask, name: str, kwargs: dict[str, Any]) -> None:
    # A new app context gives the job its own database session, never the request's.
    with app.app_context():
        JOBS[name](**kwargs)


def _run_logging_errors(app: Flask, name: str, kwargs: dict[str, Any]) -> None:
    try:
        _run_in_app_context(app, name, kwargs)
    except Exception:  # a thread's exception would otherwise vanish; the outbox keeps the mail for a retry
        log.exception("job %s failed", name)


def _enqueue_on_rq(app: Flask, name: str, kwargs: dict[str, Any]) -> None:
    from rq import Queue

    try:
        Queue(QUEUE_NAME, connection=_redis(app)).enqueue(run_job, args=(name,), kwargs=kwargs, description=name)
    except Exception:  # the request has committed: failing it now would only hide that it worked
        log.exception("could not enqueue job %s; it waits for the next delivery run", name)


def _redis(app: Flask) -> Redis:
    # One connection pool per app and process, not one per enqueued job.
    if "sandbox.jobs.redis" not in app.extensions:
        app.extensions["sandbox.jobs.redis"] = Redis.from_url(app.config["REDIS_URL"])
    return app.extensions["sandbox.jobs.redis"]


def run_worker(app: Flask, *, burst: bool = False) -> None:
    """Work the "sandbox" RQ queue until stopped (or, with burst, until it is empty). Needs rq and REDIS_URL."""
    from rq import Worker

    with app.app_context():
        # Each job runs in a forked child: it must open its own database connections, not share the parent's.
        db.engine.dispose()
        Worker([QUEUE_NAME], connection=_redis(app)).work(burst=burst)


def start_after_commit(name: str, **kwargs: Any) -> None:
    """Enqueue job `name` once the current request's transaction has committed, and never if it rolls back: a job
    reads what the request wrote (a batch of letters to issue, e-mail to send)."""
    _note(db.session(), name, kwargs)


def start_jobs_after_commit(app: Flask) -> None:
    """Register once in the app factory: the jobs a request noted are enqueued after its commit, at teardown.

    E-mail needs no note: an OutboxEmail flushed in the transaction notes the `deliver_mail` job itself. Watching
    the session (a flush, then a commit) rather than the response keeps this independent of the order of the
    after_request hooks that commit.
    """
    session_class = db.session.session_factory.class_
    if not event.contains(session_class, "after_commit", _confirm_jobs):
        event.listen(session_class, "after_flush", _note_outbox_flush)
        event.listen(session_class, "after_commit", _confirm_jobs)
        event.listen(session_class, "after_rollback", _forget_jobs)

    @app.teardown_request
    def enqueue_committed_jobs(_error: BaseException | None) -> None:
        # Teardown runs after every after_request hook, so after the request's commit (or rollback).
        for name, kwargs in db.session().info.pop(_COMMITTED, []):
            enqueue(name, **kwargs)


def _note(session: Session, name: str, kwargs: dict[str, Any]) -> None:
    pending = session.info.setdefault(_PENDING, [])
    if (name, kwargs) not in pending:
        pending.append((name, kwargs))


def _note_outbox_flush(session: Session, _flush_context: Any) -> None:
    if any(isinstance(instance, OutboxEmail) for instance in session.new):
        _note(session, "deliver_mail", {})


def _confirm_jobs(session: Session) -> None:
    committed = session.info.setdefault(_COMMITTED, [])
    committed.extend(job for job in session.info.pop(_PENDING, []) if job not in committed)


def _forget_jobs(session: Session) -> None:
    session.info.pop(_PENDING, None)
