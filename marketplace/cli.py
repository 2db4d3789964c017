"""Flask commands for operators: database, accounts, projections, demo data, serving."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from datetime import timedelta, timezone
from typing import Any, Iterator
from uuid import UUID

import click
from flask import Flask, current_app
from flask.cli import AppGroup

import migrations
from marketplace.logs import configure_logging
from events.types import ProcurementMethod, Role
from marketplace.domain.errors import DomainError
from marketplace.web.services import services

db_cli = AppGroup("db", help="The database: migrations and the event store's tables.")
accounts_cli = AppGroup("accounts", help="Accounts and their tokens.")
projections_cli = AppGroup("projections", help="Read models: run, rebuild, status.")
demo_cli = AppGroup("demo", help="Demonstration data.")
procurement_cli = AppGroup("procurement", help="Procurement: timed transitions.")
export_cli = AppGroup("export", help="Exports: the award register for auditors and open data.")


@procurement_cli.command("tick")
def procurement_tick() -> None:
    """Close every solicitation whose deadline has passed, recording the proposals opened."""
    from marketplace.scheduler import close_due_solicitations

    closed = close_due_solicitations(services())
    click.echo(f"closed {len(closed)} solicitation(s)")
    for solicitation_id in closed:
        click.echo(str(solicitation_id))


@db_cli.command("create")
def db_create() -> None:
    """Create the PostgreSQL database named by MARKETPLACE_DATABASE_URL if it does not exist."""
    from sqlalchemy import create_engine, text

    settings = current_app.extensions["marketplace"].settings
    if settings.is_sqlite:
        click.echo("SQLite: the file is created on first use")
        return
    url = settings.sqlalchemy_url()
    name = url.database
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        exists = connection.execute(
            text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}
        ).scalar()
        if not exists:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    click.echo(f"database {name} {'exists' if exists else 'created'}")


@db_cli.command("upgrade")
def db_upgrade() -> None:
    """Migrate the read-model tables to the newest revision and create the event store."""
    svc = services()
    with svc.engines.writer.connect() as connection:
        migrations.upgrade(connection)
        connection.commit()
    click.echo(f"database ready ({svc.engines.writer.dialect.name}, read models at head)")


@contextmanager
def _refusals_as_errors() -> Iterator[None]:
    """A rule's refusal is the operator's error message (exit status 1), not a traceback."""
    try:
        yield
    except DomainError as refusal:
        raise click.ClickException(refusal.message) from None


@accounts_cli.command("create")
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
@click.option("--name", required=True, help="Who the account is for.")
@click.option(
    "--organization", "organization_id", type=click.UUID, default=None,
    help="Id of the organization it acts for.",
)
def accounts_create(role: str, name: str, organization_id: UUID | None) -> None:
    """Open an account as the operator; the token is printed as the last line, once."""
    with _refusals_as_errors():
        account, token = services().app.open_account(None, Role(role), name, organization_id)
    click.echo(f"account {account.id} ({account.role.value}: {account.name})", err=True)
    click.echo(token)


@accounts_cli.command("issue-token")
@click.option("--account", "account_id", type=click.UUID, required=True)
def accounts_issue_token(account_id: UUID) -> None:
    """Issue a new token for the account as the operator; the token is printed as the last line,
    once. Its other tokens keep working until revoked."""
    with _refusals_as_errors():
        credential, token = services().app.issue_credential(None, account_id)
    click.echo(f"credential {credential.id} for account {account_id}", err=True)
    click.echo(token)


@accounts_cli.command("revoke-token")
@click.option("--credential", "credential_id", type=click.UUID, required=True)
@click.option("--reason", required=True, help="Why (kept with the revocation).")
def accounts_revoke_token(credential_id: UUID, reason: str) -> None:
    """Revoke one token, by its credential id, as the operator: refused from its next request."""
    with _refusals_as_errors():
        credential = services().app.revoke_credential(None, credential_id, reason)
    click.echo(f"revoked credential {credential.id} of account {credential.account_id}")


@accounts_cli.command("revoke-tokens")
@click.option("--account", "account_id", type=click.UUID, required=True)
@click.option("--reason", required=True, help="Why (kept with each revocation).")
def accounts_revoke_tokens(account_id: UUID, reason: str) -> None:
    """Revoke every live token of the account as the operator, all at once; prints each one."""
    from projections.credential_queries import live_credential_ids
    from projections.credentials import CredentialsProjection

    svc = services()

    def live() -> list[UUID]:
        svc.runner.catch_up(names=[CredentialsProjection.name])  # every credential issued so far
        with svc.engines.reader.connect() as conn:
            return live_credential_ids(conn, account_id)

    with _refusals_as_errors():
        revoked = svc.app.revoke_credentials(None, account_id, live, reason)
    click.echo(f"revoked {len(revoked)} credential(s) of account {account_id}")
    for credential in revoked:
        click.echo(str(credential.id))


@accounts_cli.command("credentials")
@click.option("--account", "account_id", type=click.UUID, required=True)
def accounts_credentials(account_id: UUID) -> None:
    """The account's credentials, newest first: status, who issued and who revoked each, why."""
    from projections.credential_queries import credentials_of
    from projections.credentials import CredentialsProjection

    svc = services()
    with _refusals_as_errors():
        svc.app.credential_holder(None, account_id)
    svc.runner.catch_up(names=[CredentialsProjection.name])
    with svc.engines.reader.connect() as conn:
        listed = credentials_of(conn, account_id)
    for c in listed:
        line = f"{c['id']}  {c['status']:<7}  issued {c['issued_at']} by {c['issued_by']}"
        if c["revoked_at"] is not None:
            line += f"; revoked {c['revoked_at']} by {c['revoked_by']}: {c['revocation_reason']}"
        click.echo(line)
    click.echo(f"{len(listed)} credential(s)", err=True)


@projections_cli.command("status")
def projections_status() -> None:
    """Each projection's position and lag behind the event log, and whether it is failing."""
    runner = services().runner
    head = runner.head()
    for name, status in runner.status().items():
        position, failing = status["position"], status["failing"]
        line = f"{name}: position {position}, lag {max(head - position, 0)}"
        if failing is not None:
            since = failing["since"].isoformat(timespec="seconds")
            line += f", FAILING since {since} ({failing['error']}; see the log)"
        click.echo(line)
    click.echo(f"log head: {head}")


def _chosen(runner: Any, names: tuple[str, ...]) -> list[str]:
    selected = list(names) or list(runner.projections)
    unknown = set(selected) - set(runner.projections)
    if unknown:
        raise click.BadParameter(
            f"unknown projection(s): {', '.join(sorted(unknown))} "
            f"(known: {', '.join(runner.projections)})",
            param_hint="--name",
        )
    return selected


LOCK_PATIENCE_S = 600.0
"""How long a rebuild keeps trying when SQLite's write lock stays held past its busy timeout."""


@projections_cli.command("rebuild")
@click.option("--name", "names", multiple=True, help="Only these projections (default: all).")
def projections_rebuild(names: tuple[str, ...]) -> None:
    """Empty the read models and replay the whole event log into them."""
    runner = services().runner
    selected = _chosen(runner, names)
    head = runner.head()

    def waiting(_: Exception) -> None:
        click.echo(" waiting for the database's write lock (another writer holds it)", err=True)

    with click.progressbar(length=head, label="replaying events", file=sys.stderr) as bar:
        total = runner.rebuild(selected, progress=bar.update, patience=LOCK_PATIENCE_S, waiting=waiting)
    click.echo(f"rebuilt {', '.join(selected)} up to log position {total}")


@projections_cli.command("run")
@click.option(
    "--name",
    "names",
    multiple=True,
    help="Only these projections (default: all). Workers given different projections share the "
    "work across processes (and cores); workers given the same ones never apply an event twice. "
    "The worker that keeps 'procurement' also closes solicitations whose deadline passed.",
)
def projections_run(names: tuple[str, ...]) -> None:
    """Keep the read models caught up until stopped (SIGTERM or Ctrl-C stops it cleanly)."""
    svc = services()
    selected = _chosen(svc.runner, names)
    stop = threading.Event()

    def _stop(*_: Any) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    from marketplace import scheduler
    from projections.wakeup import waker_for

    waker = waker_for(svc.app, svc.settings.listen_conninfo())
    configure_logging()
    click.echo(
        f"projection worker {os.getpid()} running {', '.join(selected)} ({type(waker).__name__})",
        err=True,
    )
    try:
        svc.runner.run_forever(
            svc.settings.projection_poll_seconds,
            stop.is_set,
            every_minute=(lambda: scheduler.close_due_solicitations(svc))
            if scheduler.READS in selected
            else None,
            wait=waker.wait,
            names=selected,
        )
    finally:
        waker.close()
    click.echo("projection worker stopped", err=True)


@demo_cli.command("load")
def demo_load() -> None:
    """Load the demonstration catalog, once; does nothing if it is already there."""
    from marketplace.demo import load_demo, loaded_state

    svc = services()
    report = load_demo(svc.app)
    if report is None:
        if loaded_state(svc.app) == "partial":
            click.echo(
                "the demo data here is incomplete: an earlier demo load stopped before it "
                "finished (its tokens were never shown), or was made by a version that did not "
                "mark its end. To load it whole, start from an empty database (for the default, "
                "remove instance/marketplace.sqlite3).",
                err=True,
            )
            return
        click.echo("demo data already loaded")
        return
    svc.runner.catch_up()
    click.echo(
        f"loaded {report.providers} providers, {report.offerings} offerings, "
        f"{report.solicitations} solicitations and {report.contracts} contracts"
    )
    click.echo("demo tokens, shown once:")
    click.echo(f"  admin          {report.admin_token}")
    click.echo(f"  provider       {report.provider_token}")
    click.echo(f"  buyer (lead)   {report.buyer_token}")


@export_cli.command("awards")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["csv", "xlsx", "ocds"]),
    default="csv",
    show_default=True,
    help="csv and xlsx: the award register, one row per award and member allocation; "
    "ocds: an OCDS release package.",
)
@click.option(
    "--output", "-o", type=click.File("wb"), default="-", show_default="stdout",
    help="The file to write.",
)
@click.option(
    "--date-from", type=click.DateTime(["%Y-%m-%d"]), default=None, help="Awarded on or after (UTC)."
)
@click.option(
    "--date-to", type=click.DateTime(["%Y-%m-%d"]), default=None, help="Awarded on or before (UTC)."
)
@click.option("--consortium-id", type=click.UUID, default=None)
@click.option("--district-id", type=click.UUID, default=None, help="A party district.")
@click.option("--provider-id", type=click.UUID, default=None)
@click.option("--method", type=click.Choice([m.value for m in ProcurementMethod]), default=None)
def export_awards(fmt: str, output: Any, **options: Any) -> None:
    """Export the award register (the twin of GET /api/v1/awards/export.csv and .xlsx), with a
    progress bar on stderr."""
    from marketplace import exports
    from projections.award_register_queries import AwardFilters, award_rows, count_award_rows

    if fmt == "ocds":
        _export_ocds(output, options)
        return
    for day in ("date_from", "date_to"):
        if options[day] is not None:
            options[day] = options[day].date()
    if options["date_from"] and options["date_to"] and options["date_to"] < options["date_from"]:
        raise click.BadParameter("must be on or after --date-from", param_hint="--date-to")
    filters = AwardFilters.of(options)
    svc = services()
    svc.runner.catch_up(names=["award_register"])
    with svc.engines.reader.connect() as conn:
        total = count_award_rows(conn, filters)
        with click.progressbar(length=total, label="exporting award rows", file=sys.stderr) as bar:

            exported = [0]

            def counted(rows: Any) -> Any:
                for row in rows:
                    yield row
                    exported[0] += 1
                    if exported[0] % 500 == 0:
                        bar.update(500)
                bar.update(exported[0] % 500)

            rows = counted(award_rows(conn, filters))
            if fmt == "csv":
                for text in exports.csv_chunks(rows):
                    output.write(text.encode("utf-8"))
            else:
                for chunk in exports.xlsx_chunks(rows):
                    output.write(chunk)
    output.flush()
    click.echo(f"exported {exported[0]} award row(s) as {fmt}", err=True)


def _export_ocds(output: Any, options: dict[str, Any]) -> None:
    """Every OCDS release (dated within --date-from/--date-to) as one release package, streamed."""
    from projections import ocds_queries

    narrowing = [k for k in ("consortium_id", "district_id", "provider_id", "method") if options[k]]
    if narrowing:
        raise click.BadParameter(
            "the OCDS package holds every release; only --date-from and --date-to narrow it",
            param_hint=", ".join(f"--{k.replace('_', '-')}" for k in narrowing),
        )
    date_from = options["date_from"].replace(tzinfo=timezone.utc) if options["date_from"] else None
    date_to = (
        options["date_to"].replace(tzinfo=timezone.utc) + timedelta(days=1) if options["date_to"] else None
    )
    svc = services()
    svc.runner.catch_up(names=["ocds"])
    with svc.engines.reader.connect() as conn:
        total = ocds_queries.count_releases(conn, date_from, date_to)
        newest = ocds_queries.newest_release_date_between(conn, date_from, date_to)
        with click.progressbar(length=total, label="exporting OCDS releases", file=sys.stderr) as bar:

            def counted() -> Any:
                for release in ocds_queries.iter_releases(conn, date_from, date_to):
                    yield release
                    bar.update(1)

            chunks = ocds_queries.release_package_chunks("urn:marketplace:ocds:export", counted(), newest)
            for chunk in chunks:
                output.write(chunk.encode("utf-8"))
    output.flush()
    click.echo(f"exported {total} OCDS release(s)", err=True)


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=lambda: os.environ.get("PORT", "8000"), show_default="$PORT or 8000")
@click.option(
    "--workers",
    default=lambda: os.environ.get("WEB_CONCURRENCY", "4"),
    show_default="$WEB_CONCURRENCY or 4",
    type=int,
)
def serve(host: str, port: str, workers: int) -> None:
    """Serve the API with gunicorn, with a projection worker beside it; Ctrl-C stops both. A
    projection worker that dies is started again (after a second, then twice as long each time
    it dies within a minute of starting, up to a minute), so the read models and the scheduler
    do not stop unseen."""
    env = dict(os.environ)

    def start_worker() -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "wsgi", "projections", "run"], env=env
        )

    worker = [start_worker(), time.monotonic()]  # the process, and when it started
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "python:marketplace.gunicorn_conf",
         "--bind", f"{host}:{port}", "--workers", str(workers), "wsgi:app"],
        env=env,
    )
    click.echo(f"serving on http://{host}:{port}/api/v1/catalog", err=True)
    stopping = threading.Event()

    def _forward(signum: int, _: Any) -> None:
        stopping.set()
        for child in (server, worker[0]):
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)

    signal.signal(signal.SIGTERM, _forward)
    signal.signal(signal.SIGINT, _forward)
    delay = WORKER_RESTART_FIRST_S
    while server.poll() is None and not stopping.is_set():
        process, started = worker
        if process.poll() is not None:
            ran = time.monotonic() - started
            delay = WORKER_RESTART_FIRST_S if ran >= 60 else delay
            click.echo(
                f"projection worker exited with code {process.returncode} after {ran:.0f} s; "
                f"starting it again in {delay:.0f} s",
                err=True,
            )
            if stopping.wait(delay):
                break
            worker[:] = [start_worker(), time.monotonic()]
            delay = min(2 * delay, WORKER_RESTART_MAX_S)
        stopping.wait(0.5)
    code = server.wait()
    if worker[0].poll() is None:
        worker[0].send_signal(signal.SIGTERM)
    worker[0].wait()
    sys.exit(code)


WORKER_RESTART_FIRST_S = 1.0
WORKER_RESTART_MAX_S = 60.0


def register_commands(app: Flask) -> None:
    for group in (db_cli, accounts_cli, projections_cli, demo_cli, procurement_cli, export_cli):
        app.cli.add_command(group)
    app.cli.add_command(serve)
