"""Globals and filters the templates use: vocabularies, labels, permissions."""
from __future__ import annotations

from flask import Flask
from flask_login import current_user

from spread import vocabulary
from spread.auth import can_edit_organisation, can_edit_profile

VOCABULARIES = {
    "kind": vocabulary.ORGANISATION_KINDS,
    "region": vocabulary.REGIONS,
    "level": vocabulary.LEVELS,
    "facet": vocabulary.OPSI_FACETS,
    "sector": vocabulary.SECTORS,
    "target_group": vocabulary.TARGET_GROUPS,
    "side": vocabulary.SIDES,
    "role": vocabulary.ROLES,
    "language": vocabulary.PROFILE_LANGUAGES,
}


def label(vocabulary_name: str, code: str | None) -> str:
    """The translated label of a vocabulary code (the code itself when unknown)."""
    if code is None:
        return ""
    return str(VOCABULARIES[vocabulary_name].get(code, code))


def register_template_helpers(app: Flask) -> None:
    """Expose vocabularies, labels and permission checks to every template."""
    app.jinja_env.globals.update(
        vocab=VOCABULARIES,
        label=label,
        can_edit_profile=lambda profile: can_edit_profile(current_user, profile),
        can_edit_organisation=lambda org: can_edit_organisation(current_user, org),
    )
