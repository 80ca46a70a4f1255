"""`flask seed`: load reference data and sync roles; `--demo` adds demo users and prints their logins."""

from __future__ import annotations

from typing import Any

import click
from flask import Flask
from werkzeug.security import generate_password_hash

from app.services.deadlines import fill_step_dues
from app.services.demo import demo_staff, seed_demo_cases, seed_demo_coordination, seed_demo_reports
from app.services.demo_followup import seed_demo_leads, seed_demo_links, seed_demo_typical
from app.services.demo_training import seed_demo_training
from app.services.docs import roles_markdown, workflow_markdown
from app.services.roles import sync_roles
from app.services.seeding import demo_password, seed_demo, seed_reference


@click.command("seed")
@click.option("--demo", is_flag=True, help="Also create the demo users (password from DEMO_PASSWORD or generated).")
def seed_command(demo: bool) -> None:
    """Load regions, departments, the catalog and roles; run twice, same rows."""
    roles = sync_roles()
    report = seed_reference()
    fill_step_dues()  # cases registered before the agency's own steps had limits
    added = ", ".join(f"{k}: {v}" for k, v in report.created.items()) or "nothing new"
    click.echo(f"Reference data loaded ({added}); roles synced ({sum(roles.added.values())} permissions added).")
    if demo:
        password = demo_password()
        password_hash = generate_password_hash(password)
        logins = seed_demo(password_hash)
        more = demo_staff(password_hash)
        made = seed_demo_cases()
        meetings = seed_demo_coordination()
        plans = seed_demo_training()
        linked, tracked, written = seed_demo_links(), seed_demo_leads(), seed_demo_typical()
        reported = seed_demo_reports()
        click.echo(
            f"Demo cases created: {made}; joint reviews: {meetings}; training plans: {plans}; "
            f"cross-level links: {linked}; leads: {tracked}; typical cases: {written}; monthly reports: {reported}."
        )
        click.echo(f"Demo logins (password for all: {password}):")
        for username, role, region in logins:
            click.echo(f"  {username:<20} {role:<11} {region}")
        if more:
            click.echo(f"  … and {len(more)} more agents and liaisons of the demo regions (see Security → Users).")


@click.command("roles-doc")
@click.option("--readme", type=click.Path(exists=True, dir_okay=False), help="Rewrite the table in this file.")
def roles_doc_command(readme: str | None) -> None:
    """Print the role and workflow tables, or rewrite them between their markers in README.md."""
    if not readme:
        click.echo(roles_markdown())
        click.echo()
        click.echo(workflow_markdown())
        return
    with open(readme, encoding="utf-8") as handle:
        text = handle.read()
    for marker, table in (("roles", roles_markdown()), ("workflow", workflow_markdown())):
        head, rest = text.split(f"<!-- {marker}:begin -->\n", 1)
        _, tail = rest.split(f"\n<!-- {marker}:end -->", 1)
        text = f"{head}<!-- {marker}:begin -->\n{table}\n<!-- {marker}:end -->{tail}"
    with open(readme, "w", encoding="utf-8") as handle:
        handle.write(text)
    click.echo(f"{readme}: role and workflow tables rewritten")


ledger_group = click.Group("ledger", help="The special work ledger (专项工作台账) as Excel.")


@ledger_group.command("export")
@click.option("--region", "region_code", required=True, help="Region code; a city includes its banners.")
@click.option("--from", "date_from", type=click.DateTime(["%Y-%m-%d"]), help="Cases still open on or after this date.")
@click.option("--to", "date_to", type=click.DateTime(["%Y-%m-%d"]), help="Cases applied for up to this date.")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, writable=True), help="The .xlsx to write.")
@click.option("--english", is_flag=True, help="English headers and labels.")
def ledger_export_command(region_code: str, date_from: Any, date_to: Any, out: str, english: bool) -> None:
    """Write a region's ledger workbook: cases, items, overdue, evaluations, summary."""
    from flask import current_app
    from flask_babel import force_locale

    from app.domain.errors import NotFound
    from app.services.ledger import LedgerScope, region_scope_for, write_ledger

    try:
        region, ids = region_scope_for(region_code)
    except NotFound:
        raise click.BadParameter(f"no region with code {region_code}", param_hint="--region") from None
    scope = LedgerScope(
        region_ids=ids,
        title_region=region.name,
        date_from=date_from.date() if date_from else None,
        date_to=date_to.date() if date_to else None,
    )
    with force_locale("en" if english else "zh"):
        stats = write_ledger(out, scope, english=english, max_rows=current_app.config["LEDGER_MAX_ROWS"])
    click.echo(
        f"{out}: {stats.cases} cases, {stats.items} items, {stats.overdue} overdue, "
        f"{stats.evaluations} evaluations; sheets: {', '.join(stats.sheets)}"
    )


@click.command("backup")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False), help="The backup file to write.")
def backup_command(out: str) -> None:
    """Copy the embedded SQLite database consistently, even while the app runs."""
    from pathlib import Path

    from app.domain.errors import DomainError
    from app.services.backup import backup

    try:
        size = backup(Path(out))
    except DomainError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"{out}: {size // 1024} KB backed up")


@click.command("restore")
@click.option("--from", "source", required=True, type=click.Path(dir_okay=False), help="A file made by flask backup.")
def restore_command(source: str) -> None:
    """Replace the SQLite database by a backup (stop the app first); the current one is kept aside."""
    from pathlib import Path

    from app.domain.errors import DomainError
    from app.services.backup import restore

    try:
        kept = restore(Path(source))
    except DomainError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"restored from {source}; the database before the restore is kept as {kept}")


exports_group = click.Group("exports", help="Background ledger exports (the worker: huey_consumer app.tasks.huey).")


@exports_group.command("cleanup")
def exports_cleanup_command() -> None:
    """Delete export files older than EXPORT_TTL_DAYS (the jobs are kept, marked expired) and stray files."""
    from app.services.exports import cleanup_exports

    report = cleanup_exports()
    click.echo(f"{report.expired} exports expired; {report.files} files removed")


@exports_group.command("reclaim")
def exports_reclaim_command() -> None:
    """Queue again the jobs whose worker stopped (the worker also does this every minute)."""
    from app.tasks import reclaim_stalled

    again = reclaim_stalled()
    click.echo(f"{len(again)} jobs queued again")


def init_app(app: Flask) -> None:
    app.cli.add_command(exports_group)
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)
    app.cli.add_command(ledger_group)
    app.cli.add_command(seed_command)
    app.cli.add_command(roles_doc_command)
