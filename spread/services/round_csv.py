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
from datetime import datetime
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload, lazyload, selectinload

from spread.extensions import db
from spread.models import Pair, Profile, Round, User
from spread.services.csv_writer import write_csv
from spread.services.enrolments import enrol_many, interest_pairs, is_mutual
from spread.services.profiles import create_profiles
from spread.services.round_csv_rows import (
    ACTION_CREATE,
    REQUIRED_COLUMNS,
    ImportRow,
    RowError,
    check_owner,
    load_lookups,
    plan_row,
    row_values,
)

logger = logging.getLogger(__name__)

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
REGISTRATION_STATES = ("open", "pairing", "review")

EXPORT_COLUMNS = (
    "pair id", "status", "score", "taker title", "taker organisation", "taker contact email",
    "giver title", "giver organisation", "giver contact email", "mutual interest",
    "decision reason", "decided at",
)
BOM = "\ufeff"
#: Both sides of every pair with organisation and owner, one query per side.
EXPORT_LOADING = tuple(
    selectinload(side).options(joinedload(Profile.organisation), joinedload(Profile.owner),
                               lazyload(Profile.sector_links), lazyload(Profile.target_group_links))
    for side in (Pair.taker, Pair.giver))
BINARY_SIGNATURES = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0")  # .xlsx (zip) and .xls workbooks


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


def _read_file(round_: Round, raw: bytes | str, preview: ImportPreview
               ) -> tuple[list[str], list[tuple[int, list[str]]]] | None:
    """Decode and split the file into header and records; None (errors in ``preview``) if bad."""
    if isinstance(raw, bytes):
        text, preview.notes, preview.errors = decode(raw)
        if text is None:
            return None
    else:
        text = raw
        error = control_character_error(text)
        if error is not None:  # a re-posted preview is checked like an upload
            preview.errors = [error]
            return None
    preview.text = text
    if round_.state not in REGISTRATION_STATES:
        preview.errors.append(RowError(None, _(
            "The round is not open for registration (it is %(state)s).", state=round_.state)))
        return None
    header, records, preview.errors = _read_table(text)
    if not preview.errors:
        preview.errors = _check_header(header)
    return None if preview.errors else (header, records)


def preview_registrations(round_: Round, raw: bytes | str) -> ImportPreview:
    """Read and check a registrations file without writing anything.

    ``raw`` is the uploaded bytes (decoded here) or text already decoded (a re-posted preview).
    """
    preview = ImportPreview()
    table = _read_file(round_, raw, preview)
    if table is None:
        return preview
    errors = preview.errors
    rows = row_values(*table, errors)
    lookups = load_lookups(round_, rows)
    seen: dict[tuple, int] = {}
    for line, values in rows:
        row = ImportRow(line, values["email"], values["side"], values["title"])
        preview.rows.append(row)
        found = len(errors)
        owner, side = check_owner(line, values, lookups, errors)
        if len(errors) > found:
            continue
        key = (owner.id, side, values["title"].casefold())
        if key in seen:
            errors.append(RowError(line, _("The same registration as line %(line)s.",
                                           line=seen[key])))
            continue
        seen[key] = line
        row.side, row.owner = side, owner
        plan_row(round_, row, values, lookups, errors)
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
    creating = [row for row in preview.rows if row.action == ACTION_CREATE]
    for row, profile in zip(creating, create_profiles([(r.data, r.owner) for r in creating])):
        row.profile, row.profile_id = profile, profile.id
    # Checked again as they are written: another import may have enrolled one meanwhile.
    for position, message in enrol_many(round_, [row.profile for row in preview.rows], actor,
                                        by_coordinator=True):
        preview.errors.append(RowError(preview.rows[position].line, _(message)))
    if preview.errors:
        preview.created = preview.enrolled = 0
        raise ImportRejected(preview)
    created, enrolled = len(creating), len(preview.rows)
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
    pairs = db.session.scalars(select(Pair).where(Pair.round_id == round_.id)
                               .options(*EXPORT_LOADING).order_by(Pair.id))
    rows = (
        [pair.id, pair.status, _decimal(pair.score),
         pair.taker.title, pair.taker.organisation.name, pair.taker.owner.email,
         pair.giver.title, pair.giver.organisation.name, pair.giver.owner.email,
         "yes" if is_mutual(interests, pair.taker_id, pair.giver_id) else "no",
         pair.decision_reason, _local_time(pair.decided_at)]
        for pair in pairs
    )
    return write_csv(rows, EXPORT_COLUMNS)
