"""Command-line tasks: `flask --app sandbox <command>`. Each commits once, or rolls back."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup, with_appcontext

from sandbox.core.audit import verify_chain
from sandbox.extensions import db
from sandbox.workflow.definition import WorkflowDefinition


def init_app(app: Flask) -> None:
    app.cli.add_command(seed_demo_command)
    app.cli.add_command(audit_group)
    app.cli.add_command(workflow_group)


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
