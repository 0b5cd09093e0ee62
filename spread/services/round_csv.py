"""Coordinators' spreadsheets: importing registrations into a round, exporting its pairs.

Import is two-step: :func:`preview_registrations` decodes, parses and validates every row
without writing anything, and :func:`import_registrations` writes only when the whole file is
valid (profiles through :func:`spread.services.profiles.create_profile`, enrolments through
:func:`spread.services.enrolments.enrol`), flushing in the caller's one transaction.

Export writes the round's pairs as Danish Excel expects: UTF-8 with a BOM, ``;`` between cells,
decimal commas, and text cells that could start a formula are neutralised with an apostrophe.
"""
from __future__ import annotations

import csv
import io
import logging
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from marshmallow import ValidationError
from sqlalchemy import func, select

from spread import vocabulary
from spread.extensions import db
from spread.models import Organisation, Pair, Profile, Round, User
from spread.schemas.messages import translate_errors
from spread.schemas.profiles import ProfileSchema
from spread.services.csv_writer import write_csv
from spread.services.enrolments import active_enrolment, enrol, interest_pairs, is_mutual
from spread.services.profiles import create_profile
from spread.services.users import normalise_email

logger = logging.getLogger(__name__)

REQUIRED_COLUMNS = ("email", "side", "title")
OPTIONAL_COLUMNS = ("organisation", "description", "sectors", "target_groups", "region", "level",
                    "capacity", "available_from", "available_until")
COLUMNS = REQUIRED_COLUMNS + OPTIONAL_COLUMNS
# Column names as Danish coordinators may write them, after lower-casing and
# turning spaces and hyphens into underscores.
COLUMN_ALIASES = {
    "e_mail": "email", "mail": "email", "side_(giver/tager)": "side", "titel": "title",
    "organization": "organisation", "beskrivelse": "description", "sektorer": "sectors",
    "målgrupper": "target_groups", "niveau": "level", "kapacitet": "capacity",
    "tilgængelig_fra": "available_from", "tilgængelig_til": "available_until",
}
SIDE_WORDS = {"giver": "giver", "taker": "taker", "tager": "taker"}
CREATE_ONLY = ("organisation", "description", "sectors", "target_groups", "region", "level",
               "capacity", "available_from", "available_until")
LIST_SEPARATOR = "|"
DATE_FORMATS = ("%Y-%m-%d", "%d-%m-%Y", "%d.%m.%Y", "%d/%m/%Y")
ACTION_ENROL = "enrol"
ACTION_CREATE = "create"
REGISTRATION_STATES = ("open", "pairing", "review")

EXPORT_COLUMNS = (
    "pair id", "status", "score", "taker title", "taker organisation", "taker contact email",
    "giver title", "giver organisation", "giver contact email", "mutual interest",
    "decision reason", "decided at",
)
BOM = "\ufeff"
BINARY_SIGNATURES = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0")  # .xlsx (zip) and .xls workbooks


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


@dataclass
class ImportPreview:
    """The outcome of reading a file: its rows, its errors, and what was (or would be) done."""

    rows: list[ImportRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    text: str = ""
    created: int = 0
    enrolled: int = 0
    dry_run: bool = True

    @property
    def ok(self) -> bool:
        """Whether every row can be imported."""
        return not self.errors and bool(self.rows)

    def errors_by_line(self) -> dict[int | None, list[RowError]]:
        """The errors grouped by line, for pages that show them next to their rows."""
        grouped: dict[int | None, list[RowError]] = {}
        for error in self.errors:
            grouped.setdefault(error.line, []).append(error)
        return grouped


class ImportRejected(Exception):
    """The file has bad rows, so nothing was imported; carries the preview with the errors."""

    def __init__(self, preview: ImportPreview):
        super().__init__(f"{len(preview.errors)} problem(s) in the file")
        self.preview = preview


# -- reading the file ---------------------------------------------------------------------------

def decode(raw: bytes) -> tuple[str | None, list[str], list[RowError]]:
    """Decode an uploaded file: UTF-8 (with or without BOM), else cleanly decoding Windows-1252.

    Returns (text, notes, errors); text is None when the file cannot be read as CSV text.
    """
    if not raw.strip():
        return None, [], [RowError(None, _("The file is empty."))]
    if b"\x00" in raw or raw.startswith(BINARY_SIGNATURES):
        return None, [], [RowError(None, _(
            "This is not a CSV text file (it may be an Excel workbook). "
            "In Excel choose Save as, then \"CSV UTF-8 (comma delimited)\"."))]
    try:
        text = raw.decode("utf-8-sig")
        notes: list[str] = []
    except UnicodeDecodeError as utf8_error:
        line = raw[:utf8_error.start].count(b"\n") + 1
        try:
            text = raw.decode("cp1252")
        except UnicodeDecodeError:
            return None, [], [RowError(line, _(
                "The file is not UTF-8. In Excel choose Save as, then "
                "\"CSV UTF-8 (comma delimited)\", and upload it again."))]
        notes = [_("The file is not UTF-8; it was read as Windows-1252 (Western European). "
                   "Check that æ, ø and å look right below, or save it as \"CSV UTF-8\".")]
    error = control_character_error(text)
    if error is not None:
        return None, [], [error]
    return text, notes, []


def control_character_error(text: str) -> RowError | None:
    """The line of the first control character (NUL and the like) in ``text``, if any."""
    bad = next((i for i, ch in enumerate(text) if ord(ch) < 32 and ch not in "\t\r\n\f"), None)
    if bad is None:
        return None
    return RowError(text[:bad].count("\n") + 1, _(
        "The file contains control characters and does not look like CSV text."))


def _delimiter(header_line: str) -> str:
    return ";" if header_line.count(";") > header_line.count(",") else ","


def _column_name(raw: str) -> str:
    name = re.sub(r"[\s\-]+", "_", raw.strip().lower())
    return COLUMN_ALIASES.get(name, name)


def _read_table(text: str) -> tuple[list[str], list[tuple[int, list[str]]], list[RowError]]:
    """Split the text into the header and (line number, cells) records."""
    text = text.lstrip(BOM)
    first_line = text.split("\n", 1)[0]
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(first_line),
                        strict=True)
    records: list[tuple[int, list[str]]] = []
    line = 1
    try:
        for cells in reader:
            records.append((line, cells))
            line = reader.line_num + 1
    except csv.Error as error:
        return [], [], [RowError(reader.line_num or line, _(
            "The file could not be read as CSV here (%(problem)s).", problem=str(error)))]
    records = [(n, cells) for n, cells in records if any(c.strip() for c in cells)]
    if not records:
        return [], [], [RowError(None, _("The file is empty."))]
    header = records[0][1]
    return [_column_name(c) for c in header], records[1:], []


def _check_header(header: list[str]) -> list[RowError]:
    errors = []
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        errors.append(RowError(1, _(
            "Missing column(s): %(columns)s. The first row must name the columns, e.g. "
            "%(example)s.", columns=", ".join(missing), example=";".join(COLUMNS))))
    unknown = [c for c in header if c and c not in COLUMNS]
    if unknown:
        errors.append(RowError(1, _("Unknown column(s): %(columns)s. Known columns: %(known)s.",
                                    columns=", ".join(unknown), known=", ".join(COLUMNS))))
    doubled = sorted({c for c in header if c and header.count(c) > 1})
    if doubled:
        errors.append(RowError(1, _("Column(s) named twice: %(columns)s.",
                                    columns=", ".join(doubled))))
    return errors


# -- validating rows ----------------------------------------------------------------------------

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
                   errors: list[RowError]) -> tuple[dict | None, str | None]:
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
        return ProfileSchema().load(data), organisation.name
    except ValidationError as error:
        for name_, messages in translate_errors(error.messages).items():
            for message in messages if isinstance(messages, list) else [messages]:
                errors.append(RowError(line, str(message), None if name_ == "_schema" else name_))
        return None, organisation.name


def preview_registrations(round_: Round, raw: bytes | str) -> ImportPreview:
    """Read and check a registrations file without writing anything.

    ``raw`` is the uploaded bytes (decoded here) or text already decoded (a re-posted preview).
    """
    preview = ImportPreview()
    if isinstance(raw, bytes):
        text, preview.notes, preview.errors = decode(raw)
        if text is None:
            return preview
    else:
        text = raw
        error = control_character_error(text)
        if error is not None:  # a re-posted preview is checked like an upload
            preview.errors = [error]
            return preview
    preview.text = text
    if round_.state not in REGISTRATION_STATES:
        preview.errors.append(RowError(None, _(
            "The round is not open for registration (it is %(state)s).", state=round_.state)))
        return preview
    header, records, preview.errors = _read_table(text)
    if preview.errors:
        return preview
    preview.errors = _check_header(header)
    if preview.errors:
        return preview

    organisations = {o.name.lower(): o for o in db.session.scalars(
        select(Organisation).where(Organisation.archived_at.is_(None)))}
    tables = {"sector": _lookup(vocabulary.SECTORS),
              "target_group": _lookup(vocabulary.TARGET_GROUPS),
              "region": _lookup(vocabulary.REGIONS), "level": _lookup(vocabulary.LEVELS)}
    seen: dict[tuple, int] = {}
    errors = preview.errors
    for line, cells in records:
        if len(cells) > len(header) and any(c.strip() for c in cells[len(header):]):
            errors.append(RowError(line, _(
                "This row has %(cells)s cells but the header has %(columns)s columns.",
                cells=len(cells), columns=len(header))))
            continue
        values = {name: (cells[i].strip() if i < len(cells) else "")
                  for i, name in enumerate(header) if name}
        row = ImportRow(line, values["email"], values["side"], values["title"])
        preview.rows.append(row)
        found = len(errors)
        side = SIDE_WORDS.get(values["side"].lower())
        for column in REQUIRED_COLUMNS:
            if not values[column]:
                errors.append(RowError(line, _("This field is required."), column))
        if values["side"] and side is None:
            errors.append(RowError(line, _(
                "\"%(value)s\" is not a side; write giver, taker or tager.",
                value=values["side"]), "side"))
        owner = None
        if values["email"]:
            owner = db.session.scalar(select(User).where(
                User.email == normalise_email(values["email"])))
            if owner is None:
                errors.append(RowError(line, _("No account with the email %(email)s.",
                                               email=values["email"]), "email"))
            elif not owner.is_active:
                errors.append(RowError(line, _("The account %(email)s is deactivated.",
                                               email=values["email"]), "email"))
        if len(errors) > found:
            continue
        row.side = side
        key = (owner.id, side, values["title"].casefold())
        if key in seen:
            errors.append(RowError(line, _("The same registration as line %(line)s.",
                                           line=seen[key])))
            continue
        seen[key] = line
        row.owner = owner
        matches = list(db.session.scalars(select(Profile).where(
            Profile.owner_id == owner.id, Profile.side == side,
            func.lower(Profile.title) == values["title"].lower()).order_by(Profile.id)))
        active = [p for p in matches if not p.archived]
        if len(active) > 1:
            errors.append(RowError(line, _(
                "%(email)s has %(count)s %(side)s profiles titled \"%(title)s\"; rename one.",
                email=owner.email, count=len(active), side=side, title=values["title"]),
                "title"))
        elif active:
            profile = active[0]
            if active_enrolment(round_, profile) is not None:
                errors.append(RowError(line, _(
                    "The profile \"%(title)s\" is already enrolled in this round.",
                    title=profile.title), "title"))
                continue
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
                                                    organisations, tables, errors)
            if data is not None:
                row.action, row.data = ACTION_CREATE, data
    preview.created = sum(1 for r in preview.rows if r.action == ACTION_CREATE)
    preview.enrolled = sum(1 for r in preview.rows if r.action is not None)
    if not preview.rows and not errors:
        errors.append(RowError(None, _("The file has a header but no registrations.")))
    errors.sort(key=lambda e: e.line or 0)
    return preview


def import_registrations(round_: Round, raw: bytes | str, actor: User) -> ImportPreview:
    """Import every registration of the file, or none: raises :class:`ImportRejected`.

    Validates the whole file first; writes (flush only) when every row is good. The caller
    commits, or rolls back on :class:`ImportRejected`.
    """
    preview = preview_registrations(round_, raw)
    preview.dry_run = False
    if not preview.ok:
        preview.created = preview.enrolled = 0
        raise ImportRejected(preview)
    created = enrolled = 0
    for row in preview.rows:
        try:
            if row.action == ACTION_CREATE:
                row.profile = create_profile(row.data, row.owner)
                row.profile_id = row.profile.id
                created += 1
            enrol(round_, row.profile, actor, by_coordinator=True)
            enrolled += 1
        except ValidationError as error:  # changed since the check (another import, say)
            for messages in translate_errors(error.messages).values():
                for message in messages if isinstance(messages, list) else [messages]:
                    preview.errors.append(RowError(row.line, str(message)))
    if preview.errors:
        preview.created = preview.enrolled = 0
        raise ImportRejected(preview)
    preview.created, preview.enrolled = created, enrolled
    logger.info("round %s: imported %s registrations (%s new profiles) by user %s",
                round_.id, enrolled, created, actor.id)
    return preview


# -- export -------------------------------------------------------------------------------------

def _decimal(value: float | None) -> str:
    return "" if value is None else f"{value:.3f}".replace(".", ",")


def _local_time(value: datetime | None) -> str:
    if value is None:
        return ""
    zone = ZoneInfo(current_app.config.get("BABEL_DEFAULT_TIMEZONE", "Europe/Copenhagen"))
    if value.tzinfo is None:  # SQLite hands back naive UTC
        value = value.replace(tzinfo=ZoneInfo("UTC"))
    return value.astimezone(zone).strftime("%Y-%m-%d %H:%M")


def export_pairs(round_: Round) -> str:
    """The round's pairs as CSV text for Excel: BOM first, ``;`` between cells, decimal commas."""
    interests = interest_pairs(round_.id)
    pairs = db.session.scalars(select(Pair).where(Pair.round_id == round_.id).order_by(Pair.id))
    rows = (
        [pair.id, pair.status, _decimal(pair.score),
         pair.taker.title, pair.taker.organisation.name, pair.taker.owner.email,
         pair.giver.title, pair.giver.organisation.name, pair.giver.owner.email,
         "yes" if is_mutual(interests, pair.taker_id, pair.giver_id) else "no",
         pair.decision_reason, _local_time(pair.decided_at)]
        for pair in pairs
    )
    return write_csv(rows, EXPORT_COLUMNS)
