"""``flask audit verify`` and ``flask audit publish-head``, the scheduled job, and the demo's head."""

from __future__ import annotations

import json
from datetime import date

from sqlalchemy import delete, select, update

from portal import jobs
from portal.audit import chain
from portal.audit.models import AuditEvent, AuditHead
from portal.audit.services import record

TODAY = date(2026, 11, 30)


def _record_each(db, count: int) -> None:
    for n in range(count):
        record(db, None, "test.event", None, n=n)
        db.commit()


def _tamper(app, statement) -> None:
    with app.extensions["db_engine"].begin() as connection:
        connection.execute(statement)


def test_verify_prints_a_one_line_summary_for_a_clean_chain(app, db):
    _record_each(db, 3)
    result = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code == 0, result.output
    assert (
        result.output.strip()
        == "Audit trail verified: 3 records, every hash and link intact, 0 published heads matched."
    )


def test_verify_names_the_first_record_that_does_not_match_and_fails(app, db):
    _record_each(db, 4)
    target = db.scalar(select(AuditEvent).where(AuditEvent.position == 2))
    _tamper(app, update(AuditEvent).where(AuditEvent.id == target.id).values(action="test.rewritten"))
    result = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code == 1
    assert f"record {target.id} (position 2, test.rewritten): its contents do not match its hash" in result.stderr
    assert "Audit trail NOT verified: 1 problem." in result.stderr


def test_publish_head_then_verify_against_a_copy_of_the_heads(app, db, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "FIXED_NOW", chain.clock_now().replace(year=2026, month=11, day=30, hour=12))
    _record_each(db, 3)
    runner = app.test_cli_runner()
    first = runner.invoke(args=["audit", "publish-head"])
    assert first.exit_code == 0 and first.output.strip() == "Published today's head"
    again = runner.invoke(args=["audit", "publish-head"])
    assert again.exit_code == 0 and again.output.startswith("Nothing new to publish")

    copy = tmp_path / "heads.json"
    copy.write_text(app.test_client().get("/audit-trail/heads.json").get_data(as_text=True))
    assert json.loads(copy.read_text())["heads"][0]["records"] == 3
    result = runner.invoke(args=["audit", "verify", "--heads", str(copy)])
    assert result.exit_code == 0, result.output
    assert "2 published heads matched" in result.output  # the portal's and the copy's

    _tamper(app, delete(AuditHead))
    _tamper(app, delete(AuditEvent).where(AuditEvent.position == 3))
    result = runner.invoke(args=["audit", "verify", "--heads", str(copy)])
    assert result.exit_code == 1
    assert "says the chain held 3 records, but it ends at position 2: the newest records were deleted" in result.stderr


def test_verify_refuses_a_heads_file_that_is_not_heads(app, tmp_path):
    bad = tmp_path / "heads.json"
    bad.write_text(json.dumps({"heads": [{"day": "soon"}]}))
    result = app.test_cli_runner().invoke(args=["audit", "verify", "--heads", str(bad)])
    assert result.exit_code == 1
    assert "head 1 needs a day" in result.output


def test_the_worker_publishes_the_days_head_once(app, db, monkeypatch):
    monkeypatch.setitem(app.config, "FIXED_NOW", chain.clock_now().replace(year=2026, month=11, day=30, hour=12))
    assert jobs.SCHEDULED["audit heads published"] is jobs.publish_audit_head
    with app.app_context():
        assert jobs.publish_audit_head() == 0  # nothing recorded yet
    _record_each(db, 2)
    with app.app_context():
        assert jobs.publish_audit_head() == 1
    with app.app_context():
        assert jobs.publish_audit_head() == 0
    (published,) = db.scalars(select(AuditHead)).all()
    assert (published.day, published.position) == (TODAY, 2)


def test_demo_load_ends_with_a_published_head_and_a_chain_that_verifies(app, db):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["demo", "load"]).exit_code == 0
    head = chain.head(db)
    (published,) = db.scalars(select(AuditHead)).all()
    assert (published.position, published.hash) == head
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 0, result.output
