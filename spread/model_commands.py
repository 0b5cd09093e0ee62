"""``flask --app wsgi model``: learn, evaluate, adopt and roll back match-model versions."""
from __future__ import annotations

import logging

import click
from flask_babel import gettext as _

from spread import labels
from spread.extensions import db
from spread.matchmaking import versions
from spread.models import MatchModel

logger = logging.getLogger(__name__)


def _actor(as_email: str | None):
    from spread.commands import _coordinator

    return _coordinator(as_email)


def _refused(error: versions.ModelRefusal) -> click.ClickException:
    db.session.rollback()
    return click.ClickException(error.translated())


AS_OPTION = click.option("--as", "as_email", default=None, metavar="EMAIL",
                         help="Act as this coordinator (default: the first admin or coordinator).")


@click.group("model")
def model_group() -> None:
    """Match model versions: learn candidate weights, evaluate, adopt, roll back."""


def describe(row: MatchModel) -> str:
    """One line about a model version: number, status and its weights in per cent."""
    shares = ", ".join(f"{labels.MODEL_CRITERIA.get(c, c)} {share:g}%"
                       for c, share in versions.weight_shares(row))
    return _("Model version %(version)s (%(status)s): %(shares)s", version=row.version,
             status=labels.MODEL_STATUSES.get(row.status, row.status), shares=shares)


def learn(note: str | None, promote: bool, as_email: str | None) -> None:
    """Learn candidate weights (optionally adopt them at once) and print the result."""
    actor = _actor(as_email)
    try:
        row = versions.learn(actor, note)
        if promote:
            versions.adopt(row, actor)
    except versions.ModelRefusal as error:
        raise _refused(error) from None
    db.session.commit()
    click.echo(describe(row))
    evaluation, trained = row.evaluation or {}, row.trained_on or {}
    click.echo(_("Learned from %(labels)s decided pairs (%(positive)s good, %(negative)s poor); "
                 "held-out AUC %(before)s with the current weights, %(after)s with these.",
                 labels=trained.get("labels"), positive=trained.get("positive"),
                 negative=trained.get("negative"), before=evaluation.get("auc_current"),
                 after=evaluation.get("auc_candidate")))


@model_group.command("learn")
@click.option("--note", default=None, help="Why this version was learned.")
@click.option("--promote", is_flag=True, help="Make the new version current at once.")
@AS_OPTION
def learn_command(note: str | None, promote: bool, as_email: str | None) -> None:
    """Learn criterion weights from the decided pairs; record them as a candidate version."""
    learn(note, promote, as_email)


@click.command("train-model")
@click.option("--note", default=None, help="Why this version was learned.")
@click.option("--promote", is_flag=True, help="Make the new version current at once.")
@AS_OPTION
def train_model_command(note: str | None, promote: bool, as_email: str | None) -> None:
    """The same as ``model learn`` (the earlier name)."""
    learn(note, promote, as_email)


def _candidate(version: int | None) -> MatchModel:
    if version is not None:
        return versions.find_version(version)
    newest = versions.all_versions()[0]
    if newest.status != "candidate":
        raise versions.ModelRefusal(versions.NO_CANDIDATE)
    return newest


@model_group.command("evaluate")
@click.argument("version", type=int, required=False)
def evaluate_command(version: int | None) -> None:
    """Compare VERSION (default: the newest candidate) with the current one on held-out pairs."""
    try:
        figures = versions.evaluate(_candidate(version))
    except versions.ModelRefusal as error:
        raise _refused(error) from None
    db.session.commit()
    click.echo(_("Held out: %(held_out)s decided pairs (%(approved)s approved, %(rejected)s "
                 "rejected).", **{k: figures[k] for k in ("held_out", "approved", "rejected")}))
    header = _("Figure")
    click.echo(f"{header:<44} {figures['version']:>10} {figures['against_version']:>10}")
    click.echo(f"{'':<44} {_('version'):>10} {_('current'):>10}")
    for key, label in (("auc", _("AUC")),
                       ("ordered", _("Approved ranked above rejected (of %(pairs)s)",
                                     pairs=figures["pairs"]))):
        click.echo(f"{label:<44} {figures['candidate'][key]!s:>10} {figures['current'][key]!s:>10}")


@model_group.command("adopt")
@click.argument("version", type=int)
@AS_OPTION
def adopt_command(version: int, as_email: str | None) -> None:
    """Make model VERSION current; the current one is retired."""
    try:
        row = versions.adopt(versions.find_version(version), _actor(as_email))
    except versions.ModelRefusal as error:
        raise _refused(error) from None
    db.session.commit()
    click.echo(_("Model version %(version)s is current now.", version=row.version))


@model_group.command("rollback")
@AS_OPTION
def rollback_command(as_email: str | None) -> None:
    """Make the previous current version current again."""
    try:
        row = versions.rollback(_actor(as_email))
    except versions.ModelRefusal as error:
        raise _refused(error) from None
    db.session.commit()
    click.echo(_("Rolled back: model version %(version)s is current again.", version=row.version))
