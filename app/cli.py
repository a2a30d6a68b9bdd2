"""The `portal` command: serve, migrate, seed, manage people and tokens."""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

if TYPE_CHECKING:
    from sqlmodel import Session

    from app.people.models import Person

from app.core.config import ConfigurationError, get_settings

cli = typer.Typer(
    help="Insight Loop: the customer-insight and improvement portal.",
    no_args_is_help=True,
    add_completion=False,
)
db_cli = typer.Typer(help="Database schema.", no_args_is_help=True)
users_cli = typer.Typer(help="People.", no_args_is_help=True)
tokens_cli = typer.Typer(help="Personal API tokens.", no_args_is_help=True)
cli.add_typer(db_cli, name="db")
cli.add_typer(users_cli, name="users")
people_cli = typer.Typer(help="People and the org chart.", no_args_is_help=True)
cli.add_typer(people_cli, name="people")
index_cli = typer.Typer(help="Search index.", no_args_is_help=True)
scim_cli = typer.Typer(
    help="Provisioning tokens for the company directory (SCIM at /scim/v2).", no_args_is_help=True
)
cli.add_typer(scim_cli, name="scim-token")
cli.add_typer(tokens_cli, name="tokens")
cli.add_typer(index_cli, name="index")
themes_cli = typer.Typer(help="Themes found in the feedback.", no_args_is_help=True)
cli.add_typer(themes_cli, name="themes")
pulse_cli = typer.Typer(help="Team pulse: scheduled rounds and reminders.", no_args_is_help=True)
cli.add_typer(pulse_cli, name="pulse")


def _fail(message: str) -> NoReturn:
    typer.secho(message, fg=typer.colors.RED, err=True)
    raise typer.Exit(code=2)


def _check_config() -> None:
    try:
        get_settings().resolved_secret_key()
    except ConfigurationError as exc:
        _fail(str(exc))
    # Every command may touch search: the domains' searchable records are handed to it here.
    import app.registry  # noqa: F401


@cli.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes.")] = 1,
    index_worker: Annotated[
        bool,
        typer.Option(
            "--index-worker/--no-index-worker",
            help="Also start `portal worker`, which keeps the search index up to date (turn off on "
            "all but one node, or when the worker runs as its own service).",
        ),
    ] = True,
) -> None:
    """Serve the portal. Web processes only read the search index; `portal worker` writes it."""
    from app.core import logging as portal_logging
    from app.core import migrate, serving
    from app.core.supervise import Supervisor

    _check_config()
    from app.core import backup as backups

    problem = backups.database_problem(get_settings())
    if problem:
        _fail(
            f"The database cannot be used: {problem}\n"
            "Restore the last good backup with `portal restore FILE` (see README, Backups); "
            "the portal will not start on a damaged or missing database."
        )
    current, head = migrate.pending()
    if current != head:
        _fail(
            f"The database schema is at {current or 'nothing'}, the code needs {head}. "
            "Run `portal db upgrade` first (it keeps your data)."
        )
    typer.echo(f"Insight Loop on http://{host}:{port} ({workers} worker{'s' if workers > 1 else ''})")
    supervisor = Supervisor([sys.executable, "-m", "app.cli", "worker"]) if index_worker else None
    if supervisor is not None:
        portal_logging.configure(get_settings().log_level)
        supervisor.start()
    os.environ["PORTAL_INDEX_DRAINER"] = "false"  # the web processes (inheriting this) only read
    try:
        serving.serve("app.main:app", host=host, port=port, workers=workers)
    finally:
        if supervisor is not None:
            supervisor.stop()


@cli.command()
def worker(
    interval: Annotated[float, typer.Option(help="Seconds between looks at the search outbox.")] = 1.0,
) -> None:
    """Background work: keep the search index up to date (the outbox about every second), run
    the import jobs started on the web pages, open and close scheduled pulse rounds and send their
    reminders, find the themes in the feedback when it changes, and deliver to webhooks, Slack and
    Teams, until
    stopped. Several workers may run (on several nodes): one holds the index lock, the others wait
    their turn; each import job and each delivery is taken by one worker at a time."""
    import signal

    from app.core import logging as portal_logging
    from app.core.supervise import exit_with_parent
    from app.imports.worker import ImportRunner
    from app.integrations.delivery import Sender
    from app.notifications.mailer import Mailer
    from app.proposals.reminders import ReminderWorker
    from app.pulse.reminders import PulseWorker
    from app.search.drainer import Drainer
    from app.themes.service import ThemeWorker

    _check_config()
    portal_logging.configure(get_settings().log_level)
    drainer = Drainer(interval=interval)
    runner = ImportRunner(interval=interval)
    sender = Sender(interval=interval)
    mailer = Mailer()
    reminders = ReminderWorker()
    pulse = PulseWorker()
    themes = ThemeWorker()
    helpers = (runner, sender, mailer, reminders, pulse, themes)  # threads beside the drainer

    def stop(*_: object) -> None:
        drainer.stop()
        for helper in helpers:
            helper.stop()

    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, stop)
    exit_with_parent(stop)
    typer.echo("Search index and import worker started.")
    for helper in helpers:
        helper.start()
    drainer.run()  # in this process's main thread, until a signal stops it
    for helper in helpers:
        helper.join(timeout=30)
    typer.echo("Search index and import worker stopped.")


@db_cli.command("upgrade")
def db_upgrade() -> None:
    """Apply every pending migration (keeps existing data)."""
    from app.core import migrate

    _check_config()
    migrate.upgrade()
    current, _ = migrate.pending()
    typer.echo(f"Database is at revision {current}.")


@cli.command()
def seed() -> None:
    """Load the demo company; does nothing on a database that already has people."""
    from app.core.db import new_session
    from app.seed import load_demo

    _check_config()
    with new_session() as session:
        report = load_demo(session)
    typer.echo(report)


@cli.command()
def reindex() -> None:
    """Rebuild the search index from the database (into a fresh folder, then swapped in)."""
    from app.core.db import new_read_session, new_session
    from app.search import service as search_service

    _check_config()
    with new_session() as session, new_read_session() as reading:
        try:
            # A command is single-threaded, so it may fork one indexing process per core.
            count = search_service.reindex(session, procs=min(os.cpu_count() or 1, 4), reading=reading)
        except search_service.SearchUnavailable as exc:
            _fail(str(exc))
            return
    typer.echo(f"Search index rebuilt: {count} documents.")


@cli.command()
def backup(
    to: Annotated[
        str,
        typer.Option("--to", help="File to write (default: <data folder>/backups/portal-<time>.db|.dump)."),
    ] = "",
) -> None:
    """Back up the database while the portal runs (SQLite backup API, or pg_dump), then check it."""
    from pathlib import Path

    from app.core import backup as backups

    _check_config()
    settings = get_settings()
    target = Path(to) if to else backups.default_target(settings)
    try:
        written = backups.backup(settings, target)
    except backups.BackupError as exc:
        _fail(f"Backup failed: {exc}")
        return
    typer.echo(f"Backup written and checked: {written}")
    typer.echo(
        "Keep PORTAL_DATA_DIR/uploads and the secret key with it; the search index is rebuilt on restore."
    )


@cli.command()
def restore(
    source: Annotated[str, typer.Argument(help="A file written by `portal backup`.")],
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
) -> None:
    """Replace the database with a backup (stop the portal first), then rebuild the search index."""
    from pathlib import Path

    from app.core import backup as backups
    from app.core.db import dispose_engines, new_session
    from app.search import service as search_service

    _check_config()
    if not yes and not typer.confirm(f"Replace everything in the database with {source}?"):
        raise typer.Exit(code=1)
    try:
        backups.restore(get_settings(), Path(source))
    except backups.BackupError as exc:
        _fail(f"Restore failed, the database was not changed: {exc}")
        return
    dispose_engines()
    with new_session() as session:
        count = search_service.reindex(session)
    typer.echo(f"Restored {source}; search index rebuilt ({count} documents).")


@index_cli.command("drain")
def index_drain() -> None:
    """Apply pending changes to the search index now (the app does this every second by itself)."""
    from app.core.db import new_read_session, new_session
    from app.search import service as search_service

    _check_config()
    with new_session() as session, new_read_session() as reading:
        applied = search_service.drain(session, wait=30, reading=reading)
    typer.echo(f"Applied {applied} pending changes to the search index.")


@themes_cli.command("refresh")
def themes_refresh() -> None:
    """Group the published feedback into themes now (`portal worker` does it when feedback changes)."""
    from app.core.db import new_session
    from app.themes import service as theme_service

    _check_config()
    with new_session() as session:
        run = theme_service.refresh(session)
    typer.echo(f"{run.themes} themes in {run.feedback:,} pieces of feedback ({run.seconds:.1f} s).")


@pulse_cli.command("tick")
def pulse_tick() -> None:
    """Open the scheduled pulse rounds that are due and close the rounds past their last day, now
    (`portal worker` does it every five minutes)."""
    from app.core.db import new_session
    from app.pulse import schedules

    _check_config()
    with new_session() as session:
        done = schedules.tick(session)
        for round_ in done.opened:
            typer.echo(f"Opened “{round_.title}” (round {round_.id}), open until {round_.closes_on}.")
        for schedule in done.skipped:
            typer.echo(schedule.last_problem)
    typer.echo(f"{len(done.opened)} opened, {len(done.skipped)} not opened, {done.closed} closed.")


@pulse_cli.command("remind")
def pulse_remind(
    round_id: Annotated[
        int | None, typer.Option("--round", help="Only this round (default: every open one).")
    ] = None,
) -> None:
    """Remind, now, everyone invited to an open round who has not answered. Who they are, and how
    many, is not printed: nobody may learn who has not answered (the round's results are not out)."""
    from app.core.db import new_session
    from app.pulse import reminders

    _check_config()
    with new_session() as session:
        rounds = reminders.now(session, round_id=round_id)
    if round_id is not None and not rounds:
        _fail(f"Round {round_id} is not open.")
    typer.echo(f"Reminders sent for {rounds} open round{'s' if rounds != 1 else ''}.")


@cli.command()
def digest(period: Annotated[str, typer.Argument(help="daily or weekly")]) -> None:
    """Send the e-mail digest of unread notifications (run daily and weekly from cron)."""
    from app.core.db import new_session
    from app.core.errors import ValidationFailed
    from app.notifications import digest as digest_service

    _check_config()
    if period not in digest_service.PERIODS:
        _fail("Say daily or weekly.")
    with new_session() as session:
        try:
            sent = digest_service.send(session, period=period)
        except ValidationFailed as exc:
            _fail(exc.message)
            return
    typer.echo(f"Sent {sent} {period} digest{'s' if sent != 1 else ''}.")


@cli.command("import-feedback")
def import_feedback(
    file: Annotated[str, typer.Argument(help="A CSV or XLSX export (survey answers, tickets, reviews).")],
    mapping: Annotated[
        list[str],
        typer.Option("--map", help="field=column, e.g. --map quote='Review Text' (repeat for each field)."),
    ],
    channel: Annotated[str, typer.Option(help="Where the feedback came from: survey, review, ...")] = "other",
    as_email: Annotated[str, typer.Option("--as", help="Who imports (default: the first admin).")] = "",
    skip_empty: Annotated[bool, typer.Option(help="Skip rows without the customer's words.")] = False,
    dry_run: Annotated[bool, typer.Option(help="Check every row and report; import nothing.")] = False,
) -> None:
    """Import feedback from a file: every row, or none when any row is bad (rows named with reasons)."""
    from pathlib import Path

    from app.core.db import new_read_session, new_session
    from app.core.errors import DomainError
    from app.imports import reader
    from app.imports import service as import_service
    from app.insights.models import Channel

    _check_config()
    if channel not in {c.value for c in Channel}:
        _fail(f"Unknown channel {channel!r}: use {', '.join(c.value for c in Channel)}.")
    fields: dict[str, str] = {}
    for item in mapping:
        name, sep, column = item.partition("=")
        if not sep:
            _fail(f"--map {item!r}: write field=column, e.g. --map quote='Review Text'.")
        fields[name.strip()] = column.strip()
    path = Path(file)
    if not path.is_file():
        _fail(f"No file {file}.")

    # Everything but the write itself reads on the read session: a long check pass must not hold
    # the SQLite write lock that the running portal's writes need.
    with new_session() as session, new_read_session() as reading:
        actor = _acting_person(reading, as_email)
        try:
            plan = import_service.plan(path, fields, channel=Channel(channel), skip_empty=skip_empty)
            total = reader.count_rows(path, plan.table)
            with typer.progressbar(length=total, label="Checking rows", file=sys.stderr) as bar:

                def progress(outcome: import_service.Outcome) -> None:
                    bar.update((total if outcome.writing else outcome.rows_read) - bar.pos)
                    if outcome.writing:
                        bar.render_finish()
                        typer.echo(f"Writing {outcome.imported:,} rows in one transaction…", err=True)

                outcome = import_service.import_file(
                    session, actor=actor, plan=plan, dry_run=dry_run, progress=progress, reading=reading
                )
        except import_service.ImportRejected as exc:
            typer.echo("", err=True)
            _refuse_rows(
                exc.outcome.errors, f"{exc.outcome.error_count} rows need fixing; nothing was imported."
            )
        except DomainError as exc:
            _fail(exc.message)
            return
    typer.echo(f"Checked {outcome.rows_read:,} rows", err=True)
    verb = "Would import" if dry_run else "Imported"
    typer.echo(
        f"{verb} {outcome.imported:,} feedback; skipped {outcome.skipped_duplicates:,} already there"
        f" and {outcome.skipped_empty:,} without the customer's words."
    )


def _refuse_rows(errors: list[dict[str, object]], summary: str) -> NoReturn:
    """An import refused: the first 50 rows to fix, each with its reason, then the summary."""
    for error in errors[:50]:
        typer.secho(f"row {error['row']}: {error['message']}", fg=typer.colors.RED, err=True)
    _fail(summary)


def _acting_person(session: Session, as_email: str) -> Person:
    """Who an import from the command line acts as: the person named, or the first active admin."""
    from sqlmodel import col, select

    from app.people import service as people_service
    from app.people.models import Person as PersonRow
    from app.people.models import Role

    if as_email:
        actor = people_service.get_by_email(session, email=as_email)
    else:
        query = select(PersonRow).where(PersonRow.role == Role.admin, col(PersonRow.is_active))
        actor = session.exec(query.order_by(col(PersonRow.id))).first()
    if actor is None or not actor.is_active:
        _fail(f"No active person {as_email or 'with the admin role'} to import as.")
    return actor


@people_cli.command("import")
def people_import(
    file: Annotated[
        str, typer.Argument(help="CSV or XLSX: email, name, department, team, role, manager_email.")
    ],
    as_email: Annotated[str, typer.Option("--as", help="Which admin imports (default: the first).")] = "",
    dry_run: Annotated[bool, typer.Option(help="Check every row and report; change nothing.")] = False,
) -> None:
    """Bring people, departments and teams in from a file: every row, or none when any row is bad."""
    from pathlib import Path

    from app.core.db import new_session
    from app.core.errors import DomainError
    from app.imports import people as people_import

    _check_config()
    path = Path(file)
    if not path.is_file():
        _fail(f"No file {file}.")
    with new_session() as session:
        actor = _acting_person(session, as_email)
        try:
            outcome = people_import.import_people(session, actor=actor, path=path, dry_run=dry_run)
        except people_import.PeopleImportRejected as exc:
            _refuse_rows(exc.outcome.errors, f"{len(exc.outcome.errors)} rows need fixing; nothing changed.")
        except DomainError as exc:
            _fail(exc.message)
            return
    verb = "Would create" if dry_run else "Created"
    typer.echo(
        f"{verb} {outcome.created:,} people, updated {outcome.updated:,}, {outcome.unchanged:,} unchanged."
    )


@users_cli.command("create")
def users_create(
    email: Annotated[str, typer.Option(help="Work e-mail, used to sign in.")],
    name: Annotated[str, typer.Option(help="Full name.")],
    role: Annotated[str, typer.Option(help="employee | cx | leader | admin")] = "employee",
    team: Annotated[str, typer.Option(help="Team name (created when missing).")] = "",
    department: Annotated[str, typer.Option(help="Department of the team (created when missing).")] = "",
    password: Annotated[str, typer.Option(help="Password; omit for SSO-only people.")] = "",
) -> None:
    """Create a person (and their department and team when missing)."""
    from pydantic import ValidationError

    from app.core.db import new_session
    from app.core.errors import DomainError, field_errors
    from app.people import service as people_service
    from app.people.models import Role
    from app.people.schemas import PersonCreate

    _check_config()
    if role not in {r.value for r in Role}:
        _fail(f"Unknown role {role!r}: use employee, cx, leader or admin.")
    if team and not department:
        _fail("--team needs --department (the department the team sits in).")
    with new_session() as session:
        try:
            team_id = None
            if team:
                dept = people_service.get_or_create_department(session, name=department)
                team_id = people_service.get_or_create_team(session, name=team, department=dept).id
            data = PersonCreate(
                email=email, name=name, role=Role(role), team_id=team_id, password=password or None
            )
            person = people_service.create(session, actor=None, data=data)
        except ValidationError as exc:
            session.rollback()
            _fail("; ".join(f"{field}: {message}" for field, message in field_errors(exc).items()))
            return
        except DomainError as exc:
            session.rollback()
            _fail(exc.message)
            return
        typer.echo(
            f"Created {person.name} <{person.email}> as {person.role.value} (handle @{person.handle})."
        )


@tokens_cli.command("create")
def tokens_create(
    email: Annotated[str, typer.Option(help="Whose token.")],
    name: Annotated[str, typer.Option(help="What the token is for.")] = "command line",
    scope: Annotated[
        str, typer.Option(help="read, write or admin (everything the person's role allows).")
    ] = "admin",
    days: Annotated[
        int | None, typer.Option(help="Days until it expires (default PORTAL_API_TOKEN_DAYS).")
    ] = None,
) -> None:
    """Create a personal API token; the token is printed alone on the last line."""
    from app.auth import service as auth_service
    from app.auth.models import TokenScope
    from app.core.db import new_session
    from app.core.errors import DomainError
    from app.people import service as people_service

    _check_config()
    with new_session() as session:
        person = people_service.get_by_email(session, email=email)
        if person is None or not person.is_active:
            _fail(f"No active person with e-mail {email}.")
            return
        if scope not in {s.value for s in TokenScope}:
            _fail("The scope is read, write or admin.")
            return
        try:
            created = auth_service.create_token(
                session, actor=person, owner=person, name=name, scope=TokenScope(scope), days=days
            )
        except DomainError as exc:
            _fail(exc.message)
            return
    expires = created.record.expires_at.date().isoformat() if created.record.expires_at else "never"
    typer.echo(
        f"Token {created.record.name!r} ({created.record.scope}, expires {expires}) for {person.email};"
    )
    typer.echo("it is shown only now:")
    typer.echo(created.token)


@scim_cli.command("create")
def scim_token_create(
    name: Annotated[str, typer.Option(help="Which directory holds it, e.g. 'Entra ID'.")] = "directory",
) -> None:
    """Create a provisioning token for /scim/v2; the token is printed alone on the last line."""
    from app.core.db import new_session
    from app.scim import service as scim_service

    _check_config()
    with new_session() as session:
        try:
            created = scim_service.create_token(session, name=name)
        except ValueError as exc:
            _fail(str(exc))
    typer.echo(f"Provisioning token {created.record.id} {created.record.name!r}; give it to the directory's")
    typer.echo("SCIM settings (Bearer). It is shown only now:")
    typer.echo(created.token)


@scim_cli.command("list")
def scim_token_list() -> None:
    """The provisioning tokens: id, name, first characters, created, last used, revoked."""
    from app.core.db import new_session
    from app.scim import service as scim_service

    _check_config()
    with new_session() as session:
        tokens = scim_service.list_tokens(session)
    if not tokens:
        typer.echo("No provisioning tokens yet: portal scim-token create --name 'Entra ID'")
    for token in tokens:
        used = token.last_used_at.isoformat(timespec="minutes") if token.last_used_at else "never"
        state = f"revoked {token.revoked_at.date().isoformat()}" if token.revoked_at else "active"
        created = token.created_at.date().isoformat()
        typer.echo(f"{token.id}\t{token.name}\t{token.prefix}…\tcreated {created}\tused {used}\t{state}")


@scim_cli.command("revoke")
def scim_token_revoke(
    token_id: Annotated[int, typer.Argument(help="The token's id (scim-token list).")],
) -> None:
    """Revoke a provisioning token: the directory's next request gets 401."""
    from app.core.db import new_session
    from app.scim import service as scim_service

    _check_config()
    with new_session() as session:
        try:
            record = scim_service.revoke_token(session, token_id=token_id)
        except LookupError as exc:
            _fail(str(exc))
    typer.echo(f"Revoked provisioning token {record.id} {record.name!r}.")


def main() -> None:
    from app.core.db import dispose_engines

    try:
        cli()
    except ConfigurationError as exc:
        typer.secho(str(exc), fg=typer.colors.RED, err=True)
        sys.exit(2)
    finally:
        # Close the database connections before the process ends: SQLite moves its write-ahead log
        # into the database file when the last connection closes. Left to the interpreter's exit,
        # that close did not always happen, and the file alone (a copy, a check) looked empty.
        dispose_engines()


if __name__ == "__main__":
    main()
