"""flask commands: database, demo data, users, mail."""

from __future__ import annotations

import click
from flask import Flask, current_app
from sqlalchemy import func, select

from portal.config import PROJECT_ROOT


def alembic_config(database_url: str):
    from alembic.config import Config

    config = Config(str(PROJECT_ROOT / "migrations" / "alembic.ini"))
    config.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def register_commands(app: Flask) -> None:
    @app.cli.group("db")
    def db_group():
        """Database schema (Alembic migrations)."""

    @db_group.command("upgrade")
    @click.argument("revision", default="head")
    def db_upgrade(revision):
        """Bring the schema up to REVISION (default: the newest)."""
        from alembic import command

        command.upgrade(alembic_config(current_app.config["DATABASE_URL"]), revision)

    @db_group.command("downgrade")
    @click.argument("revision")
    def db_downgrade(revision):
        from alembic import command

        command.downgrade(alembic_config(current_app.config["DATABASE_URL"]), revision)

    @db_group.command("is-empty")
    def db_is_empty():
        """Exit 0 if there are no users yet (so demo data should be loaded)."""
        from portal.accounts.models import User
        from portal.db import get_session

        raise SystemExit(0 if get_session().scalar(select(func.count(User.id))) == 0 else 1)

    @app.cli.group("demo")
    def demo_group():
        """Demonstration data."""

    @demo_group.command("load")
    @click.option("--as-published", is_flag=True, help="Use the seed documents' own dates (2011-2012).")
    def demo_load(as_published):
        """Load the demo council, providers and staff (safe to run again)."""
        from portal import demo

        if current_app.config["IS_PRODUCTION"]:
            raise click.ClickException("Demo data is not loaded in production.")
        demo.load(as_published=as_published)
        click.echo(demo.sign_in_details())

    @demo_group.command("sign-in-details")
    def demo_sign_in_details():
        from portal import demo

        click.echo(demo.sign_in_details())

    @app.cli.group("users")
    def users_group():
        """Staff accounts."""

    @users_group.command("create-staff")
    @click.option("--email", required=True)
    @click.option("--name", "full_name", required=True)
    @click.option("--role", type=click.Choice(["OFFICER", "EVALUATOR", "ADMIN"], case_sensitive=False), required=True)
    @click.option("--password", help="Set a password now instead of emailing an invitation link.")
    def create_staff(email, full_name, role, password):
        """Create a council staff account (officer, evaluator or administrator)."""
        from portal import clock
        from portal.accounts.models import Role
        from portal.accounts.services import create_staff as create
        from portal.db import transaction
        from portal.errors import RuleViolation

        try:
            with transaction() as session:
                user = create(session, None, email, full_name, Role[role.upper()], password=password, now=clock.now())
        except RuleViolation as violation:
            raise click.ClickException(violation.message) from violation
        click.echo(
            f"Created {user.role.value.lower()} {user.email}" + ("" if password else " and queued an invitation email")
        )

    @app.cli.group("jobs")
    def jobs_group():
        """The worker: queued email and scheduled jobs."""

    @jobs_group.command("run")
    @click.option("--once", is_flag=True, help="Do one pass and stop (for cron).")
    def jobs_run(once):
        """Send queued email and run the scheduled jobs (every minute) until stopped."""
        from portal import jobs

        app = current_app._get_current_object()
        if once:
            done = jobs.run_once(app)
            click.echo(
                f"{done.sent} emails sent, {done.failed} failed; "
                + ", ".join(f"{count} {name}" for name, count in done.scheduled.items())
            )
            return
        click.echo("Worker running: sending queued email, scheduled jobs every minute (Ctrl+C to stop)")
        try:
            jobs.run_forever(app)
        except KeyboardInterrupt:
            click.echo("Worker stopped")

    @app.cli.group("mail")
    def mail_group():
        """Outgoing email."""

    @mail_group.command("send-queued")
    def send_queued():
        """Send every queued email that is due (the worker does this every few seconds)."""
        from portal import jobs

        sent, failed = jobs.send_mail(current_app._get_current_object())
        click.echo(f"{sent} sent, {failed} failed")

    @app.cli.group("notices")
    def notices_group():
        """Ending notices for agreements."""

    @notices_group.command("send-due")
    def send_due():
        """Send the ending notices due today (the worker does this every minute; safe twice at once)."""
        from portal import clock
        from portal.agreements.jobs import send_due_notices

        result = send_due_notices(clock.today())
        click.echo(f"{result.sent} notices sent, {result.skipped} already sent by another run")

    @app.cli.group("evidence")
    def evidence_group():
        """Providers' quality-assurance evidence."""

    @evidence_group.command("send-reminders")
    def send_evidence_reminders():
        """Email providers about documents expiring within 30 days, once per expiry (the worker runs it)."""
        from portal import jobs

        sent = jobs.send_evidence_reminders()
        click.echo(f"{sent} evidence reminder{'s' if sent != 1 else ''} sent")

    @app.cli.group("ocds")
    def ocds_group():
        """Open data (OCDS)."""

    @ocds_group.command("publish-missing")
    def publish_missing():
        """Make the releases of notices published before open data existed (safe to run again)."""
        from portal.db import transaction
        from portal.transparency.ocds.publish import publish_missing as publish

        with transaction() as session:
            made = publish(session)
        click.echo(f"{made} release{'s' if made != 1 else ''} made")

    @app.cli.group("tenders")
    def tenders_group():
        """Tenders."""

    @tenders_group.command("close-due")
    def close_due():
        """Close every tender whose submission deadline has passed (the worker runs it every minute)."""
        from portal import jobs

        closed = jobs.close_due_tenders()
        click.echo(f"{closed} tenders closed")

    @app.cli.group("audit")
    def audit_group():
        """The audit trail's hash chain and its published heads."""

    @audit_group.command("verify")
    @click.option(
        "--heads",
        "heads_file",
        type=click.File("rb"),
        help="A copy of /audit-trail/heads.json kept outside the portal, to check the chain against as well.",
    )
    def audit_verify(heads_file):
        """Check every record's hash and link, and the published heads; names the first record that does not match."""
        import json

        from portal.audit import chain
        from portal.db import get_session

        copies = []
        if heads_file is not None:
            try:
                copies = chain.heads_from_data(json.load(heads_file), heads_file.name)
            except ValueError as error:
                raise click.ClickException(f"{heads_file.name}: {error}") from error
        result = chain.verify(get_session(), copies)
        for problem in result.problems:
            click.echo(problem, err=True)
        if result.problem_count > len(result.problems):
            click.echo(f"...and {result.problem_count - len(result.problems)} more", err=True)
        click.echo(result.summary(), err=not result.ok)
        if not result.ok:
            raise SystemExit(1)

    @audit_group.command("publish-head")
    def audit_publish_head():
        """Publish today's head of the chain (the worker does this daily; once a day, safe to run again)."""
        from portal import jobs

        published = jobs.publish_audit_head()
        click.echo(
            "Published today's head"
            if published
            else "Nothing new to publish (already published today, or no records yet)"
        )

    @app.cli.group("districts")
    def districts_group():
        """The council's districts."""

    @districts_group.command("add")
    @click.argument("names", nargs=-1, required=True)
    def add_districts(names):
        from portal.db import transaction
        from portal.providers.models import District

        with transaction() as session:
            existing = set(session.scalars(select(District.name)))
            for name in names:
                if name not in existing:
                    session.add(District(name=name))
        click.echo(f"{len(set(names) - existing)} added")
