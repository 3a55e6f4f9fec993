"""Command-line tasks: `flask --app sandbox <command>`. Each commits once, or rolls back."""

from __future__ import annotations

import importlib.util
from datetime import datetime

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext

from sandbox.core.audit import verify_chain
from sandbox.extensions import db
from sandbox.workflow.definition import WorkflowDefinition


def init_app(app: Flask) -> None:
    app.cli.add_command(seed_demo_command)
    app.cli.add_command(audit_group)
    app.cli.add_command(workflow_group)
    app.cli.add_command(checklists_group)
    app.cli.add_command(mail_group)
    app.cli.add_command(timers_group)
    app.cli.add_command(jobs_group)


@click.command("seed-demo")
@with_appcontext
def seed_demo_command() -> None:
    """Create the demo organisations and users (idempotent)."""
    from sandbox.demo import DEMO_PASSWORD, seed_demo

    created = seed_demo(db.session)
    db.session.commit()
    for line in created:
        click.echo(f"created {line}")
    click.echo(f"demo data ready ({len(created)} new); every demo user's password is {DEMO_PASSWORD!r}")


@click.group("audit", cls=AppGroup)
def audit_group() -> None:
    """The audit log."""


@audit_group.command("verify")
def audit_verify_command() -> None:
    """Check the hash chain of the whole audit log; exit 1 naming the first broken event."""
    report = verify_chain(db.session)
    db.session.rollback()
    if not report.is_intact:
        click.echo(f"audit log BROKEN after {report.events_checked} good events: {report.problem}", err=True)
        raise SystemExit(1)
    click.echo(f"audit log intact: {report.events_checked} events; head seq {report.head_seq} hash {report.head_hash}")


@click.group("workflow", cls=AppGroup)
def workflow_group() -> None:
    """Workflow definitions."""


def _load_definition_or_exit(path: str | None) -> WorkflowDefinition:
    from sandbox.workflow.definition import DEFAULT_DEFINITION, WorkflowDefinitionError
    from sandbox.workflow.versions import load_file

    try:
        return load_file(path or DEFAULT_DEFINITION)
    except WorkflowDefinitionError as error:
        click.echo(str(error), err=True)
        raise SystemExit(1) from None


@workflow_group.command("check")
@click.argument("path", type=click.Path(dir_okay=False), required=False)
def workflow_check_command(path: str | None) -> None:
    """Validate a workflow definition file (default: the bundled one) without publishing it."""
    definition = _load_definition_or_exit(path)
    click.echo(f"{definition.name}: valid ({len(definition.states)} states, {len(definition.transitions)} transitions)")


@workflow_group.command("publish")
@click.argument("path", type=click.Path(dir_okay=False), required=False)
def workflow_publish_command(path: str | None) -> None:
    """Publish a definition as the next version for new cases; running cases keep their version."""
    from sandbox.workflow.versions import publish

    version = publish(db.session, _load_definition_or_exit(path))
    db.session.commit()
    click.echo(f"{version.name} workflow: version {version.number} is in force for new cases")


@click.group("checklists", cls=AppGroup)
def checklists_group() -> None:
    """Compliance checklist templates."""


def _load_checklist_or_exit(path: str | None) -> tuple[dict, list[dict]]:
    from sandbox.checklists.templates import DEFAULT_TEMPLATE, TemplateFileError, load_template_file

    try:
        header, items, _checksum = load_template_file(path or DEFAULT_TEMPLATE)
    except TemplateFileError as error:
        for problem in error.problems:
            click.echo(problem, err=True)
        click.echo(f"{len(error.problems)} problem(s) found; nothing was published", err=True)
        raise SystemExit(1) from None
    return header, items


@checklists_group.command("check")
@click.argument("path", type=click.Path(dir_okay=False), required=False)
def checklists_check_command(path: str | None) -> None:
    """Check a checklist template file (default: the bundled one) without publishing it; list every problem."""
    _header, items = _load_checklist_or_exit(path)
    sections = {item["section_code"] for item in items}
    click.echo(f"OK: {len(items)} items in {len(sections)} sections")


@checklists_group.command("publish")
@click.argument("path", type=click.Path(dir_okay=False), required=False)
def checklists_publish_command(path: str | None) -> None:
    """Publish a template file as the next version for new cases; running cases keep their version."""
    from sandbox.checklists.templates import DEFAULT_TEMPLATE, latest_published, publish_file

    header, _items = _load_checklist_or_exit(path)
    before = latest_published(db.session, header["code"])
    template = publish_file(db.session, path or DEFAULT_TEMPLATE)
    db.session.commit()
    if before is not None and before.id == template.id:
        click.echo(f"{template.code} checklist: version {template.version} ({template.version_label}) already has "
                   "this content and stays in force")
    else:
        click.echo(f"{template.code} checklist: version {template.version} ({template.version_label}) is in force "
                   f"for new cases ({len(template.items)} items)")


@click.group("mail", cls=AppGroup)
def mail_group() -> None:
    """Outgoing e-mail."""


@mail_group.command("deliver")
@click.option("--limit", type=click.IntRange(min=1), default=100, show_default=True, help="Most e-mails to try.")
def mail_deliver_command(limit: int) -> None:
    """Send the queued e-mail that is due, oldest first (run it from cron every minute or so).

    Each e-mail is committed as soon as it is sent: see sandbox.notifications.delivery.deliver_pending.
    """
    from sandbox.notifications.delivery import deliver_pending, mail_backend_from_config

    report = deliver_pending(db.session, mail_backend_from_config(current_app.config), limit=limit)
    click.echo(f"mail: {report.summary()}")


@click.group("timers", cls=AppGroup)
def timers_group() -> None:
    """Deadlines that move cases without anyone acting."""


@timers_group.command("run")
@click.option("--today", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="The date to act as of (YYYY-MM-DD); default: today in Hong Kong.")
def timers_run_command(today: datetime | None) -> None:
    """Send information-request reminders and lapse unanswered requests (run it daily); exit 1 if any case failed."""
    from sandbox.reviews.timers import run_timers
    from sandbox.workflow.engine import regulator_today

    report = run_timers(db.session, today=today.date() if today else regulator_today())
    db.session.commit()
    click.echo(f"timers: {report.summary()}")
    if report.failures:
        click.echo("timers: see the log for the cases that failed; the others were saved", err=True)
        raise SystemExit(1)


@click.group("jobs", cls=AppGroup)
def jobs_group() -> None:
    """Background jobs (SANDBOX_JOBS=rq)."""


@jobs_group.command("worker")
@click.option("--burst", is_flag=True, help="Stop when the queue is empty instead of waiting for jobs.")
def jobs_worker_command(burst: bool) -> None:
    """Run an RQ worker on the "sandbox" queue, each job in the app's context."""
    from sandbox.jobs import run_worker

    if importlib.util.find_spec("rq") is None:
        click.echo("jobs worker: the rq package is not installed (pip install rq).", err=True)
        raise SystemExit(1)
    if not current_app.config.get("REDIS_URL"):
        click.echo("jobs worker: REDIS_URL is not set; the RQ queue lives in Redis.", err=True)
        raise SystemExit(1)
    if current_app.config.get("SANDBOX_JOBS") != "rq":
        click.echo("jobs worker: note that SANDBOX_JOBS is not rq, so the web app runs its jobs itself.", err=True)
    run_worker(current_app._get_current_object(), burst=burst)  # type: ignore[attr-defined] (the real app)
