"""Loading the project's demo data (idempotent: existing rows are left as they are)."""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select

from spread.extensions import db
from spread.models import Organisation, Profile, Role, User
from spread.models.base import utcnow
from spread.models.matching_state import bump_profiles_version
from spread.schemas.profiles import ProfileSchema
from spread.services.demo_history import load_demo_history
from spread.services.users import find_user_by_email, normalise_email

logger = logging.getLogger(__name__)

DEMO_DATA = Path(__file__).resolve().parent.parent / "demo" / "demo_data.json"
DEMO_PASSWORD = "spread-demo-2027"
DEMO_STAFF = [
    ("koordinator@demo.spread.dk", "Karen Koordinator", Role.COORDINATOR),
    ("admin@demo.spread.dk", "Anders Admin", Role.ADMIN),
]


@dataclass
class SeedReport:
    """How many rows the seeding added."""

    users: int = 0
    organisations: int = 0
    profiles: int = 0
    decisions: int = 0
    skipped: list[str] = field(default_factory=list)


def load_demo_data(path: Path = DEMO_DATA) -> SeedReport:
    """Add the demo users, organisations and profiles that are not there yet."""
    data = json.loads(path.read_text(encoding="utf-8"))
    report = SeedReport()
    users = {u["email"]: _ensure_user(u["email"], u["name"], Role.PARTICIPANT, u.get("locale"),
                                      report) for u in data["users"]}
    staff = [_ensure_user(email, name, role, "da", report) for email, name, role in DEMO_STAFF]
    organisations = {o["key"]: _ensure_organisation(o, report) for o in data["organisations"]}
    schema = ProfileSchema()
    for raw in data["profiles"]:
        owner = users[raw["owner"]]
        organisation = organisations[raw["organisation"]]
        exists = db.session.scalar(
            select(Profile.id).where(Profile.owner_id == owner.id, Profile.title == raw["title"])
        )
        if exists:
            continue
        fields = {k: v for k, v in raw.items() if k not in ("owner", "organisation")}
        fields = {k: v for k, v in fields.items() if v is not None}
        loaded = schema.load({**fields, "organisation_id": organisation.id})
        profile = Profile(owner=owner, organisation=organisation)
        for key, value in loaded.items():
            if key != "organisation_id":
                setattr(profile, key, value)
        db.session.add(profile)
        report.profiles += 1
    db.session.flush()
    if report.profiles:
        bump_profiles_version()
    report.decisions = load_demo_history(staff[0])
    logger.info("demo data: %s", report)
    return report


def _ensure_user(email: str, name: str, role: Role, locale: str | None,
                 report: SeedReport) -> User:
    user = find_user_by_email(email)
    if user is None:
        user = User(email=normalise_email(email), name=name, role=role.value, locale=locale,
                    email_confirmed_at=utcnow())
        user.set_password(DEMO_PASSWORD)
        db.session.add(user)
        db.session.flush()
        report.users += 1
    return user


def _ensure_organisation(raw: dict, report: SeedReport) -> Organisation:
    organisation = db.session.scalar(select(Organisation).where(Organisation.name == raw["name"]))
    if organisation is None:
        organisation = Organisation(name=raw["name"], kind=raw["kind"], region=raw.get("region"),
                                    country=raw.get("country") or "DK")
        db.session.add(organisation)
        db.session.flush()
        report.organisations += 1
    return organisation
