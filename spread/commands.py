"""Command-line commands under ``flask --app wsgi``."""
from __future__ import annotations

import click
from flask import Flask
from marshmallow import ValidationError

from spread.extensions import db
from spread.models import Profile, Role
from spread.schemas.users import RegisterSchema
from spread.services import demo, users
from spread.services.suggestions import suggestions_for


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
        f"{report.profiles} profiles. Demo password: {demo.DEMO_PASSWORD}"
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


def _format_errors(messages: dict) -> str:
    return "; ".join(f"{name}: {' '.join(map(str, errs))}" for name, errs in messages.items())


def register_commands(app: Flask) -> None:
    """Add spread's commands to the ``flask`` command group."""
    for command in (create_user_command, set_role_command, seed_demo_command,
                    suggestions_command):
        app.cli.add_command(command)
