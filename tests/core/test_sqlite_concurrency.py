"""Four processes doing read-then-write updates on one SQLite file must lose nothing."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from sandbox.config import engine_options
from sandbox.core.db import configure_engine

PROCESSES = 4
UPDATES_EACH = 200


def increment_many(url: str, times: int) -> None:
    engine = create_engine(url, **engine_options(url))
    configure_engine(engine)
    for _ in range(times):
        with engine.begin() as connection:
            value = connection.execute(text("SELECT value FROM counter WHERE id = 1")).scalar_one()
            connection.execute(text("UPDATE counter SET value = :v WHERE id = 1"), {"v": value + 1})
    engine.dispose()


@pytest.mark.slow
def test_sqlite_read_then_write_across_processes_loses_no_update(tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'race.db'}"
    engine = create_engine(url, **engine_options(url))
    configure_engine(engine)
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE counter (id INTEGER PRIMARY KEY, value INTEGER NOT NULL)"))
        connection.execute(text("INSERT INTO counter (id, value) VALUES (1, 0)"))

    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=increment_many, args=(url, UPDATES_EACH)) for _ in range(PROCESSES)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    assert all(worker.exitcode == 0 for worker in workers)

    with engine.connect() as connection:
        assert connection.execute(text("SELECT value FROM counter")).scalar_one() == PROCESSES * UPDATES_EACH
        assert connection.execute(text("PRAGMA journal_mode")).scalar_one() == "wal"
        assert connection.execute(text("PRAGMA foreign_keys")).scalar_one() == 1
    engine.dispose()
