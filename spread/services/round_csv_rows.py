"""Checking the rows of a registrations file: bulk lookups, field parsing, what each row does.

Used by :mod:`spread.services.round_csv`; the accounts, profiles, enrolments and
organisations a file names are loaded once for the whole file (one query each).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime

from flask_babel import force_locale
from flask_babel import gettext as _
from marshmallow import ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from spread import vocabulary
from spread.extensions import db
from spread.models import Enrolment, Organisation, Profile, Round, User
from spread.schemas.messages import translate_errors
from spread.schemas.profiles import ProfileSchema
from spread.services.users import normalise_email

logger = logging.getLogger(__name__)

REQUIRED_COLUMNS = ("email", "side", "title")
SIDE_WORDS = {"giver": "giver", "taker": "taker", "tager": "taker"}
CREATE_ONLY = ("organisation", "description", "sectors", "target_groups", "region", "level",
               "capacity", "available_from", "available_until")
LIST_SEPARATOR = "|"
DATE_FORMATS = ("%Y-%m-%d", "%d-%m-%Y", "%d.%m.%Y", "%d/%m/%Y")
ACTION_ENROL = "enrol"
ACTION_CREATE = "create"


@dataclass
class RowError:
    """A problem with the file: the line it is on (None for the whole file) and the field."""

    line: int | None
    message: str
    field: str | None = None


@dataclass
class ImportRow:
    """One registration of the file and what importing it would do."""

    line: int
    email: str
    side: str
    title: str
    action: str | None = None
    profile_id: int | None = None
    organisation: str | None = None
    notes: list[str] = field(default_factory=list)
    owner: User | None = field(default=None, repr=False)
    profile: Profile | None = field(default=None, repr=False)
    data: dict | None = field(default=None, repr=False)


def _lookup(codes: dict) -> dict[str, str]:
    """Map codes and their English and Danish labels (lower-cased) to codes."""
    table = {code.lower(): code for code in codes}
    for locale in ("en", "da"):
        with force_locale(locale):
            table.update({str(text).strip().lower(): code for code, text in codes.items()})
    return table


def _parse_date(value: str) -> date | None:
    for pattern in DATE_FORMATS:
        try:
            return datetime.strptime(value, pattern).date()
        except ValueError:
            continue
    return None


def _coded(value: str, table: dict[str, str]) -> str | None:
    return table.get(value.strip().lower())


def _profile_input(line: int, values: dict[str, str], side: str, title: str,
                   organisations: dict[str, Organisation], tables: dict[str, dict],
                   errors: list[RowError], schema: ProfileSchema
                   ) -> tuple[dict | None, str | None]:
    """Build ProfileSchema input from a row that creates a profile; collect its errors."""
    found = len(errors)
    name = values.get("organisation", "")
    organisation = organisations.get(name.lower()) if name else None
    if not name:
        errors.append(RowError(line, _("Give the organisation: this row creates a new profile."),
                               "organisation"))
    elif organisation is None:
        errors.append(RowError(line, _("No organisation named \"%(name)s\" (or it is archived).",
                                       name=name), "organisation"))
    if not values.get("description"):
        errors.append(RowError(line, _("Give a description: this row creates a new profile."),
                               "description"))
    data: dict = {"side": side, "title": title, "description": values.get("description", ""),
                  "organisation_id": organisation.id if organisation else 0}
    for column, vocabulary_name in (("sectors", "sector"), ("target_groups", "target_group")):
        codes = []
        for item in filter(None, (v.strip() for v in values.get(column, "").split(LIST_SEPARATOR))):
            code = _coded(item, tables[vocabulary_name])
            if code is None:
                message = (_("Unknown sector \"%(value)s\".", value=item) if column == "sectors"
                           else _("Unknown target group \"%(value)s\".", value=item))
                errors.append(RowError(line, message, column))
            else:
                codes.append(code)
        data[column] = codes
    for column in ("region", "level"):
        if values.get(column):
            code = _coded(values[column], tables[column])
            if code is None:
                message = (_("Unknown region \"%(value)s\".", value=values[column])
                           if column == "region"
                           else _("Unknown level \"%(value)s\".", value=values[column]))
                errors.append(RowError(line, message, column))
            data[column] = code
    for column in ("available_from", "available_until"):
        if values.get(column):
            parsed = _parse_date(values[column])
            if parsed is None:
                errors.append(RowError(line, _(
                    "\"%(value)s\" is not a date; write 2027-03-01 or 01-03-2027.",
                    value=values[column]), column))
            else:
                data[column] = parsed.isoformat()
    if values.get("capacity"):
        data["capacity"] = values["capacity"]
    if len(errors) > found:
        return None, organisation.name if organisation else name
    try:
        return schema.load(data), organisation.name
    except ValidationError as error:
        for name_, messages in translate_errors(error.messages).items():
            for message in messages if isinstance(messages, list) else [messages]:
                errors.append(RowError(line, str(message), None if name_ == "_schema" else name_))
        return None, organisation.name


@dataclass
class Lookups:
    """Everything the rows refer to, loaded in one query each."""

    organisations: dict[str, Organisation]
    users: dict[str, User]
    #: (owner id, side, lower-cased title) -> that owner's profiles of the side so titled
    profiles: dict[tuple[int, str, str], list[Profile]]
    enrolled: set[int]
    tables: dict[str, dict[str, str]]
    #: one schema for every row (building one per row costs more than loading with it)
    schema: ProfileSchema


def row_values(header: list[str], records: list[tuple[int, list[str]]], errors: list[RowError]
                ) -> list[tuple[int, dict[str, str]]]:
    """Each record as {column: stripped value}; rows with cells beyond the header are errors."""
    rows = []
    for line, cells in records:
        if len(cells) > len(header) and any(c.strip() for c in cells[len(header):]):
            errors.append(RowError(line, _(
                "This row has %(cells)s cells but the header has %(columns)s columns.",
                cells=len(cells), columns=len(header))))
            continue
        rows.append((line, {name: (cells[i].strip() if i < len(cells) else "")
                            for i, name in enumerate(header) if name}))
    return rows


def load_lookups(round_: Round, rows: list[tuple[int, dict[str, str]]]) -> Lookups:
    """The accounts, organisations, profiles and enrolments the rows name: one query each."""
    emails = {normalise_email(v["email"]) for _, v in rows if v["email"]}
    users = {u.email: u for u in db.session.scalars(select(User).where(User.email.in_(emails)))}
    titles = {v["title"].lower() for _, v in rows if v["title"]}
    owner_ids = [u.id for u in users.values()]
    profiles: dict[tuple[int, str, str], list[Profile]] = {}
    if owner_ids and titles:
        for profile in db.session.scalars(
                select(Profile).where(Profile.owner_id.in_(owner_ids),
                                      func.lower(Profile.title).in_(titles))
                .options(joinedload(Profile.organisation)).order_by(Profile.id)):
            key = (profile.owner_id, profile.side, profile.title.lower())
            profiles.setdefault(key, []).append(profile)
    enrolled = set(db.session.scalars(select(Enrolment.profile_id).where(
        Enrolment.round_id == round_.id, Enrolment.withdrawn_at.is_(None))))
    organisations = {o.name.lower(): o for o in db.session.scalars(
        select(Organisation).where(Organisation.archived_at.is_(None)))}
    tables = {"sector": _lookup(vocabulary.SECTORS),
              "target_group": _lookup(vocabulary.TARGET_GROUPS),
              "region": _lookup(vocabulary.REGIONS), "level": _lookup(vocabulary.LEVELS)}
    return Lookups(organisations, users, profiles, enrolled, tables, ProfileSchema())


def check_owner(line: int, values: dict[str, str], lookups: Lookups,
                 errors: list[RowError]) -> tuple[User | None, str | None]:
    """The row's account and side, with an error for each missing or unknown one."""
    side = SIDE_WORDS.get(values["side"].lower())
    for column in REQUIRED_COLUMNS:
        if not values[column]:
            errors.append(RowError(line, _("This field is required."), column))
    if values["side"] and side is None:
        errors.append(RowError(line, _(
            "\"%(value)s\" is not a side; write giver, taker or tager.",
            value=values["side"]), "side"))
    owner = lookups.users.get(normalise_email(values["email"])) if values["email"] else None
    if values["email"] and owner is None:
        errors.append(RowError(line, _("No account with the email %(email)s.",
                                       email=values["email"]), "email"))
    elif owner is not None and not owner.is_active:
        errors.append(RowError(line, _("The account %(email)s is deactivated.",
                                       email=values["email"]), "email"))
    return owner, side


def plan_row(round_: Round, row: ImportRow, values: dict[str, str], lookups: Lookups,
              errors: list[RowError]) -> None:
    """Decide what the row does: enrol its existing profile, or create one and enrol it."""
    line, owner, side = row.line, row.owner, row.side
    matches = lookups.profiles.get((owner.id, side, values["title"].lower()), [])
    active = [p for p in matches if not p.archived]
    if len(active) > 1:
        errors.append(RowError(line, _(
            "%(email)s has %(count)s %(side)s profiles titled \"%(title)s\"; rename one.",
            email=owner.email, count=len(active), side=side, title=values["title"]), "title"))
    elif active:
        profile = active[0]
        if profile.id in lookups.enrolled:
            errors.append(RowError(line, _(
                "The profile \"%(title)s\" is already enrolled in this round.",
                title=profile.title), "title"))
            return
        row.action, row.profile, row.profile_id = ACTION_ENROL, profile, profile.id
        row.organisation = profile.organisation.name
        if any(values.get(c) for c in CREATE_ONLY):
            row.notes.append(_("The profile exists: only its enrolment is imported; "
                               "the other columns are not applied."))
    elif matches:
        errors.append(RowError(line, _(
            "The profile \"%(title)s\" is archived; restore it before enrolling it.",
            title=matches[0].title), "title"))
    else:
        data, row.organisation = _profile_input(line, values, side, values["title"],
                                                lookups.organisations, lookups.tables, errors,
                                                lookups.schema)
        if data is not None:
            row.action, row.data = ACTION_CREATE, data
