"""Command-line commands under ``flask --app wsgi``."""
from __future__ import annotations

import click
from flask import Flask, current_app
from marshmallow import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import lazyload

from spread.config import STALL_DAYS
from spread.extensions import db
from spread.matchmaking.suggestions import suggestions_for
from spread.models import PairingRun, Profile, Role, Round, User
from spread.queue import huey
from spread.schemas.users import RegisterSchema
from spread.services import demo, pairing_runs, users
from spread.services.run_liveness import beating

# An idle worker looks for new tasks at least this often (the SQLite queue is polled).
WORKER_MAX_POLL_SECONDS = 2.0
# On SIGTERM, how long running tasks may take to finish before the worker stops anyway.
WORKER_SHUTDOWN_SECONDS = 60


@click.command("create-user")
@click.argument("email")
@click.option("--name", default=None, help="Full name (default: the part of EMAIL before @).")
@click.option("--role", type=click.Choice([r.value for r in Role]), default=Role.PARTICIPANT.value,
              show_default=True)
@click.password_option(envvar="SPREAD_NEW_PASSWORD",
                       help="Password (prompted for; or set SPREAD_NEW_PASSWORD).")
def create_user_command(email: str, name: str | None, role: str, password: str) -> None:
    """Create an account, e.g. a coordinator: create-user --role coordinator EMAIL."""
    data = {"email": email, "name": name or email.split("@")[0], "password": password}
    try:
        user = users.register_user(RegisterSchema().load(data), Role(role))
    except ValidationError as error:
        db.session.rollback()
        raise click.ClickException(_format_errors(error.messages)) from None
    db.session.commit()
    click.echo(f"Created {user.role} {user.email} (id {user.id}).")


@click.command("set-role")
@click.argument("email")
@click.argument("role", type=click.Choice([r.value for r in Role]))
def set_role_command(email: str, role: str) -> None:
    """Change the role of an existing account."""
    user = users.find_user_by_email(email)
    if user is None:
        raise click.ClickException(f"No account with email {email}.")
    users.set_role(user, Role(role))
    db.session.commit()
    click.echo(f"{user.email} is now {user.role}.")


@click.command("seed-demo")
@click.option("--if-empty", is_flag=True, help="Only when the database has no accounts yet.")
def seed_demo_command(if_empty: bool) -> None:
    """Load the demo organisations, users and profiles (safe to run again)."""
    if if_empty and users.count_users() > 0:
        click.echo("The database has accounts already; demo data not loaded.")
        return
    report = demo.load_demo_data()
    db.session.commit()
    click.echo(
        f"Demo data: added {report.users} users, {report.organisations} organisations, "
        f"{report.profiles} profiles, {report.decisions} decided pairs. "
        f"Demo password: {demo.DEMO_PASSWORD}"
    )


@click.command("suggestions")
@click.option("--profile", "profile_id", type=int, required=True, help="Id of the profile.")
@click.option("-k", type=click.IntRange(1, 50), default=10, show_default=True,
              help="How many suggestions.")
def suggestions_command(profile_id: int, k: int) -> None:
    """Print the best partners for a profile, with score and reasons."""
    profile = db.session.get(Profile, profile_id)
    if profile is None:
        raise click.ClickException(f"No profile with id {profile_id}.")
    click.echo(f"{profile.side} {profile.id}: {profile.title} ({profile.organisation.name})")
    found = suggestions_for(profile, k=k)
    if not found:
        click.echo("No suggestions: no profiles on the other side from other organisations.")
    for rank, suggestion in enumerate(found, start=1):
        partner, reasons = suggestion.profile, suggestion.reasons
        click.echo(f"{rank:>2}. {suggestion.score:.3f}  #{partner.id} {partner.title} "
                   f"({partner.organisation.name})")
        click.echo("    " + describe_reasons(reasons))


def describe_reasons(reasons: dict) -> str:
    """One line of reasons for the command line."""
    parts = []
    if reasons.get("shared_terms"):
        parts.append("terms: " + ", ".join(reasons["shared_terms"][:6]))
    if reasons.get("shared_sectors"):
        parts.append("sectors: " + ", ".join(reasons["shared_sectors"]))
    if reasons.get("shared_target_groups"):
        parts.append("target groups: " + ", ".join(reasons["shared_target_groups"]))
    parts += [label for key, label in (("same_region", "same region"),
                                       ("same_level", "same level"),
                                       ("same_facet", "same facet")) if reasons.get(key)]
    return "; ".join(parts) or "text similarity only"


@click.command("pair-round")
@click.argument("round_ref", metavar="ROUND")
@click.option("--method", type=click.Choice(pairing_runs.METHODS), default="optimal",
              show_default=True, help="optimal: largest total fit; stable: no blocking pair.")
@click.option("--only-unpaired", is_flag=True,
              help="Keep the current proposals and pair only the profiles that have none.")
@click.option("--as", "as_email", default=None, metavar="EMAIL",
              help="Run as this coordinator (default: the first admin or coordinator).")
def pair_round_command(round_ref: str, method: str, only_unpaired: bool,
                       as_email: str | None) -> None:
    """Run the pairing for ROUND (its id or exact name) and print the result."""
    round_ = _find_round(round_ref)
    actor = _coordinator(as_email)
    try:
        run = pairing_runs.start_run(round_, method, actor, only_unpaired)
    except ValidationError as error:
        db.session.rollback()
        raise click.ClickException(_format_errors(error.messages)) from None
    db.session.commit()
    click.echo(f"Pairing run {run.id} for round {round_.id} ({round_.name}), method {method}"
               + (", only unpaired" if only_unpaired else "") + f", as {actor.email}.")
    with click.progressbar(length=100, label="Pairing", show_percent=True) as bar:
        def progress(stage: str, fraction: float) -> None:
            bar.label = f"{stage:<12}"
            bar.update(max(0, round(fraction * 100) - bar.pos))

        try:
            with beating(run.id):  # killed, it stops beating and the sweep frees the round
                run = pairing_runs.execute_run(run, progress)
        except Exception as error:  # noqa: BLE001  (recorded on the run by execute_run)
            raise click.ClickException(f"The pairing run failed: {error}") from None
    _print_summary(run)


def _find_round(ref: str) -> Round:
    round_ = db.session.get(Round, int(ref)) if ref.isdigit() else None
    if round_ is None:
        round_ = db.session.scalar(select(Round).where(Round.name == ref).order_by(Round.id.desc()))
    if round_ is None:
        raise click.ClickException(f"No round with id or name {ref!r}.")
    return round_


def _coordinator(email: str | None) -> User:
    if email:
        user = users.find_user_by_email(email)
        if user is None:
            raise click.ClickException(f"No account with email {email}.")
        if not user.is_coordinator:
            raise click.ClickException(f"{user.email} is not a coordinator or admin.")
        return user
    user = db.session.scalar(select(User).where(
        User.role.in_((Role.ADMIN.value, Role.COORDINATOR.value)), User.active.is_(True))
        .order_by(User.id))
    if user is None:
        raise click.ClickException("There is no coordinator or admin account; create one with "
                                   "create-user --role coordinator, or pass --as EMAIL.")
    return user


def _print_summary(run: PairingRun) -> None:
    summary = run.summary or {}
    click.echo(f"Done: {summary.get('pairs', 0)} pairs proposed, {summary.get('kept', 0)} kept, "
               f"from {summary.get('takers', 0)} takers and {summary.get('givers', 0)} givers; "
               f"total fit {summary.get('total_fit', 0)}.")
    unpaired = summary.get("unpaired") or {}
    if unpaired:
        click.echo(f"Unpaired ({len(unpaired)}):")
        profiles = {p.id: p for p in db.session.scalars(  # one query, not one per profile
            select(Profile).where(Profile.id.in_([int(i) for i in unpaired]))
            .options(lazyload(Profile.sector_links), lazyload(Profile.target_group_links)))}
        for profile_id, code in sorted(unpaired.items(), key=lambda item: int(item[0])):
            profile = profiles.get(int(profile_id))
            title = f"{profile.side} #{profile.id} {profile.title}" if profile else profile_id
            click.echo(f"  {title}: {pairing_runs.UNPAIRED_REASONS.get(code, code)}")
    click.echo(f"Review the proposals at /rounds/{run.round_id}/pairs.")


@click.command("send-reminders")
@click.option("--stall-days", type=click.IntRange(1, 365), default=None,
              help="Days without activity before a dialogue counts as stalled "
                   f"(default: DIALOGUE_STALL_DAYS, {STALL_DAYS}).")
@click.option("--today", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Send as if today were this date (YYYY-MM-DD).")
def send_reminders_command(stall_days: int | None, today) -> None:
    """Email the dialogue reminders that are due; each reminder is sent only once."""
    from spread.services.reminders import send_reminders

    report = send_reminders(today.date() if today else None, stall_days)
    db.session.commit()
    click.echo("Sent {total} reminders: {stalled} stalled, {overdue} overdue, {evaluate} "
               "evaluation, {followup} follow-up.".format(total=report.total, **report.sent))


@click.command("worker")
@click.option("--workers", type=click.IntRange(1, 64), default=None,
              help="Worker threads (default: QUEUE_WORKERS, 2).")
def worker_command(workers: int | None) -> None:
    """Run the task queue's worker and scheduler: pairing runs, mail, reminders, sweeps.

    SIGTERM lets running tasks finish (up to a minute); Ctrl+C (SIGINT) stops at once.
    """
    if huey.immediate:
        raise click.ClickException("The queue runs tasks immediately (SPREAD_QUEUE_IMMEDIATE "
                                   "or TESTING); there is nothing for a worker to do.")
    consumer = huey.create_consumer(
        workers=workers or current_app.config["QUEUE_WORKERS"], worker_type="thread",
        periodic=True, max_delay=WORKER_MAX_POLL_SECONDS, graceful_signal="TERM",
        shutdown_timeout=WORKER_SHUTDOWN_SECONDS)
    consumer.run()


def _format_errors(messages: dict) -> str:
    return "; ".join(f"{name}: {' '.join(map(str, errs))}" for name, errs in messages.items())


def register_commands(app: Flask) -> None:
    """Add spread's commands to the ``flask`` command group."""
    from spread.model_commands import model_group, train_model_command

    for command in (create_user_command, set_role_command, seed_demo_command,
                    suggestions_command, pair_round_command, model_group, train_model_command,
                    send_reminders_command, worker_command):
        app.cli.add_command(command)
