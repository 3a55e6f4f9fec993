"""Batch issuing on RQ (SANDBOX_JOBS=rq), as production runs it: the request's job goes on the "sandbox" queue and a
worker issues the letters, each in its own transaction."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask

from sandbox.decisions.letter_batches import request_batch
from sandbox.decisions.letters import Letter, LetterBatch
from sandbox.extensions import db
from sandbox.jobs import enqueue, run_worker
from tests.reviews.conftest import Staff

JOBS_REDIS_URL = "redis://127.0.0.1:6379/14"  # the job tests' own Redis database; emptied before and after


@pytest.fixture
def jobs_redis() -> Iterator[object]:
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


def test_a_batch_goes_through_the_rq_queue_and_a_worker_issues_it(app: Flask, staff: Staff, draft: Letter,
                                                                   jobs_redis: object,
                                                                   monkeypatch: pytest.MonkeyPatch):
    from rq import Queue

    monkeypatch.setitem(app.config, "SANDBOX_ENV", "development")
    monkeypatch.setitem(app.config, "SANDBOX_JOBS", "rq")
    monkeypatch.setitem(app.config, "REDIS_URL", JOBS_REDIS_URL)
    batch = request_batch(db.session, staff.decider, [draft.id])
    db.session.commit()
    enqueue("issue_letters", batch_id=batch.id)
    [job] = Queue("sandbox", connection=jobs_redis).get_jobs()
    assert (job.args, job.kwargs) == (("issue_letters",), {"batch_id": batch.id})
    db.session.rollback()  # on SQLite even a read holds the write lock (BEGIN IMMEDIATE) the job needs
    run_worker(app, burst=True)
    db.session.expire_all()
    assert db.session.get(Letter, draft.id).state == "issued"
    assert db.session.get(LetterBatch, batch.id).finished_at is not None
