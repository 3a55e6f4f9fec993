from __future__ import annotations

import threading

from flask import Flask
from sqlalchemy import func, select, text

from sandbox.core.audit import AuditEvent, record_event, verify_chain
from sandbox.extensions import db


def write_events(count: int) -> list[AuditEvent]:
    events = [record_event(db.session, actor_id=None, action="test.happened", object_type="thing", object_id=i,
                           details={"n": i, "text": "Grüße <b>&"}) for i in range(count)]
    db.session.commit()
    return events


def test_verify_chain_on_fresh_database_is_intact():
    report = verify_chain(db.session)
    assert report.is_intact and report.events_checked == 0 and report.head_seq == 0


def test_verify_chain_after_writes_is_intact_and_linked():
    events = write_events(5)
    report = verify_chain(db.session)
    assert report.is_intact, report.problem
    assert report.events_checked == 5
    assert [e.seq for e in events] == [1, 2, 3, 4, 5]
    assert events[1].prev_hash == events[0].hash


def test_verify_chain_edited_row_fails_naming_the_row():
    write_events(4)
    db.session.execute(text("UPDATE audit_events SET action = 'test.forged' WHERE seq = 3"))
    db.session.commit()
    report = verify_chain(db.session)
    assert not report.is_intact
    assert "seq 3" in report.problem and "altered" in report.problem


def test_verify_chain_edited_details_fails():
    write_events(3)
    db.session.execute(text("""UPDATE audit_events SET details = '{"n": 99}' WHERE seq = 2"""))
    db.session.commit()
    assert "seq 2" in verify_chain(db.session).problem


def test_verify_chain_deleted_middle_row_fails():
    write_events(4)
    db.session.execute(text("DELETE FROM audit_events WHERE seq = 2"))
    db.session.commit()
    report = verify_chain(db.session)
    assert not report.is_intact and "seq 3" in report.problem and "deleted" in report.problem


def test_verify_chain_deleted_last_row_fails():
    write_events(3)
    db.session.execute(text("DELETE FROM audit_events WHERE seq = 3"))
    db.session.commit()
    report = verify_chain(db.session)
    assert not report.is_intact and "head" in report.problem


def test_audit_verify_cli_passes_then_fails_after_direct_sql_edit(app: Flask):
    write_events(2)
    runner = app.test_cli_runner()
    ok = runner.invoke(args=["audit", "verify"])
    assert ok.exit_code == 0 and "intact: 2 events" in ok.output
    db.session.execute(text("UPDATE audit_events SET object_id = '42' WHERE seq = 1"))
    db.session.commit()
    broken = runner.invoke(args=["audit", "verify"])
    assert broken.exit_code == 1
    assert "seq 1" in broken.output


def test_record_event_concurrent_writers_never_fork_the_chain(app: Flask):
    def writer() -> None:
        with app.app_context():
            for _ in range(10):
                record_event(db.session, actor_id=None, action="test.race", object_type="thing")
                db.session.commit()

    threads = [threading.Thread(target=writer) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == 40
    report = verify_chain(db.session)
    assert report.is_intact, report.problem
