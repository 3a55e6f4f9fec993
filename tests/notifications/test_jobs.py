from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select

from sandbox import create_app
from sandbox.cases.models import Case
from sandbox.core.permissions import public
from sandbox.extensions import db
from sandbox.jobs import enqueue, run_worker, start_jobs_after_commit
from sandbox.notifications.models import DeliveryState, OutboxEmail
from sandbox.notifications.outbox import notify_organisation
from tests.conftest import IsolatedClient, app_settings
from tests.notifications.conftest import TODAY, People, make_case_waiting_for_answer, make_outbox_email

JOBS_REDIS_URL = "redis://127.0.0.1:6379/14"  # this folder's own Redis database; the tests empty it


@pytest.fixture
def hooked_app(database_url: str, tmp_path: Path) -> Iterator[Flask]:
    """An app with the after-request delivery hook and three routes: one queues e-mail, one then fails, one is quiet."""
    application = create_app(app_settings(database_url, tmp_path))
    application.test_client_class = IsolatedClient
    start_jobs_after_commit(application)

    @application.get("/test/notify/<int:case_id>")
    @public
    def notify(case_id: int) -> tuple[str, int]:
        notify_organisation(db.session, db.session.get_one(Case, case_id), "Something happened.", subject="News")
        return "queued", 200

    @application.get("/test/notify-then-refuse/<int:case_id>")
    @public
    def notify_then_refuse(case_id: int) -> tuple[str, int]:
        notify(case_id)
        return "refused", 422

    @application.get("/test/quiet")
    @public
    def quiet() -> tuple[str, int]:
        return "nothing", 200

    yield application
    with application.app_context():
        db.engine.dispose()


def states() -> list[str]:
    db.session.expire_all()
    return list(db.session.scalars(select(OutboxEmail.state).order_by(OutboxEmail.id)))


def test_deliver_mail_after_request_committed_email_is_delivered_after_the_response(hooked_app: Flask,
                                                                                       people: People):
    case, _request = make_case_waiting_for_answer(people, TODAY)
    response = hooked_app.test_client().get(f"/test/notify/{case.id}")
    assert response.status_code == 200
    assert states() == [DeliveryState.SENT.value, DeliveryState.SENT.value]


def test_deliver_mail_after_request_rolled_back_or_quiet_requests_enqueue_nothing(
        hooked_app: Flask, people: People, monkeypatch: pytest.MonkeyPatch):
    enqueued: list[str] = []
    monkeypatch.setattr("sandbox.jobs.enqueue", lambda name, **_kwargs: enqueued.append(name))
    case, _request = make_case_waiting_for_answer(people, TODAY)
    client = hooked_app.test_client()
    assert client.get(f"/test/notify-then-refuse/{case.id}").status_code == 422
    assert client.get("/test/quiet").status_code == 200
    assert enqueued == [] and states() == []
    assert client.get(f"/test/notify/{case.id}").status_code == 200
    assert enqueued == ["deliver_mail"] and states() == [DeliveryState.QUEUED.value] * 2


def test_enqueue_outside_tests_runs_the_job_in_a_background_thread(hooked_app: Flask,
                                                                    monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setitem(hooked_app.config, "SANDBOX_ENV", "development")
    make_outbox_email()
    db.session.commit()
    with hooked_app.app_context():
        enqueue("deliver_mail")
    for thread in [t for t in threading.enumerate() if t.name == "job-deliver_mail"]:
        thread.join(timeout=30)
    assert states() == [DeliveryState.SENT.value]


def test_enqueue_unknown_job_is_refused(hooked_app: Flask):
    with hooked_app.app_context(), pytest.raises(ValueError, match="unknown job"):
        enqueue("deliver_pigeons")


@pytest.fixture
def jobs_redis() -> Iterator[object]:
    pytest.importorskip("rq")
    from redis import Redis
    from redis.exceptions import ConnectionError as RedisConnectionError

    redis = Redis.from_url(JOBS_REDIS_URL)
    try:
        redis.flushdb()
    except RedisConnectionError:
        pytest.skip(f"no Redis at {JOBS_REDIS_URL}")
    yield redis
    redis.flushdb()
    redis.close()


def test_enqueue_with_rq_puts_the_job_on_the_sandbox_queue_and_the_worker_runs_it(
        hooked_app: Flask, jobs_redis: object, monkeypatch: pytest.MonkeyPatch):
    from rq import Queue

    monkeypatch.setitem(hooked_app.config, "SANDBOX_ENV", "development")
    monkeypatch.setitem(hooked_app.config, "SANDBOX_JOBS", "rq")
    monkeypatch.setitem(hooked_app.config, "REDIS_URL", JOBS_REDIS_URL)
    make_outbox_email()
    db.session.commit()
    with hooked_app.app_context():
        enqueue("deliver_mail", limit=10)
    queue = Queue("sandbox", connection=jobs_redis)
    [job] = queue.get_jobs()
    assert (job.func_name, job.args, job.kwargs) == ("sandbox.jobs.run_job", ("deliver_mail",), {"limit": 10})
    assert states() == [DeliveryState.QUEUED.value]
    db.session.rollback()  # on SQLite even a read holds the write lock (BEGIN IMMEDIATE) the job needs
    run_worker(hooked_app, burst=True)
    assert states() == [DeliveryState.SENT.value]


def test_mail_deliver_command_sends_and_prints_a_summary(app: Flask):
    make_outbox_email()
    make_outbox_email()
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["mail", "deliver", "--limit", "1"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "mail: 1 sent, 0 to retry, 0 failed"
    assert sorted(states()) == [DeliveryState.QUEUED.value, DeliveryState.SENT.value]


def test_timers_run_command_commits_and_exits_1_when_a_case_failed(app: Flask, people: People):
    make_case_waiting_for_answer(people, TODAY + timedelta(days=1))
    stuck, _request = make_case_waiting_for_answer(people, TODAY - timedelta(days=1), state="triage")
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["timers", "run", "--today", TODAY.isoformat()])
    assert result.exit_code == 1
    assert "timers: 1 reminders sent, 0 cases lapsed, 1 failed" in result.output
    assert len(states()) == 2  # the reminder to both applicants was committed despite the failure

    stuck.state = "information_requested"
    db.session.commit()
    again = app.test_cli_runner().invoke(args=["timers", "run", "--today", TODAY.isoformat()])
    assert again.exit_code == 0 and "0 reminders sent, 1 cases lapsed, 0 failed" in again.output


def test_jobs_worker_command_without_redis_explains_what_is_missing(app: Flask, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setitem(app.config, "REDIS_URL", None)
    result = app.test_cli_runner().invoke(args=["jobs", "worker", "--burst"])
    assert result.exit_code == 1 and "REDIS_URL is not set" in result.output


def test_enqueue_with_rq_and_redis_down_logs_and_leaves_the_mail_queued(
        hooked_app: Flask, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture):
    pytest.importorskip("rq")
    monkeypatch.setitem(hooked_app.config, "SANDBOX_ENV", "development")
    monkeypatch.setitem(hooked_app.config, "SANDBOX_JOBS", "rq")
    monkeypatch.setitem(hooked_app.config, "REDIS_URL", "redis://127.0.0.1:1/0")  # nothing listens on port 1
    with hooked_app.app_context():
        enqueue("deliver_mail")  # the request that committed must not turn into an error page
    assert "could not enqueue job deliver_mail" in caplog.text
