"""Fill a migrated spread database with many realistic profiles for the load benchmark.

Profile texts come from ``matching.synthetic.make_profiles`` (seeded Danish and English words
around seven themes). When ``../shared/data/ips-explorer/cases.json`` is there, a few sentences
of real innovation descriptions are mixed in at run time, so the vocabulary is as wide as in
real use; nothing from that file is stored in the repository.
"""
from __future__ import annotations

import json
import re
from datetime import date, timedelta
from pathlib import Path

import _common
import numpy as np
from sqlalchemy import insert

from matching.synthetic import make_profiles
from spread.extensions import db
from spread.models import Organisation, Profile, ProfileSector, ProfileTargetGroup, Role, User
from spread.models.base import utcnow
from spread.models.matching_state import bump_profiles_version
from spread.services.users import create_api_token

CASES = _common.ROOT.parent / "shared" / "data" / "ips-explorer" / "cases.json"
PASSWORD = "load-benchmark-password"

# The synthetic generator's codes, in the app's vocabulary.
SECTOR_CODES = {"social": "social_services", "health": "health", "employment": "employment",
                "education": "education", "environment": "environment",
                "digital": "digital_government"}
THEME_SECTOR = {"ældre": "elderly_care", "elderly": "elderly_care", "børn": "children_families",
                "children": "children_families", "dagtilbud": "daycare", "day": "daycare"}
TARGET_CODES = {"staff": "employees"}
REGION_CODES = {"Hovedstaden": "hovedstaden", "Sjælland": "sjaelland",
                "Syddanmark": "syddanmark", "Midtjylland": "midtjylland",
                "Nordjylland": "nordjylland"}
LEVEL_CODES = {"municipality": "municipal", "region": "regional", "state": "state"}
FACET_CODES = {"enhancement-oriented": "enhancement", "adaptive": "adaptive",
               "mission-oriented": "mission", "anticipatory": "anticipatory"}
KINDS = ["municipality"] * 6 + ["region", "state_agency", "other"]


def real_sentences(path: Path = CASES) -> list[str]:
    """Sentences of the real innovation descriptions, or none when the data is not there."""
    if not path.exists():
        return []
    cases = json.loads(path.read_text(encoding="utf-8"))
    text = " ".join(c.get("description") or "" for c in cases)
    return [s.strip() for s in re.split(r"(?<=[.!?])\s+", text) if 40 <= len(s.strip()) <= 400]


def _title(text: str) -> str:
    words = text.rstrip(".").split()[:6]
    return " ".join(words).capitalize()[:200]


def profile_rows(n: int, organisation_ids: list[int], owner_ids: list[int],
                 seed: int = 0) -> list[dict]:
    """``n`` profile rows (about 40 % givers) with their sectors and target groups."""
    rng = np.random.default_rng(seed)
    sentences = real_sentences()
    rows = []
    for i, raw in enumerate(make_profiles(n, random_state=seed)):
        side = "giver" if rng.random() < 0.4 else "taker"
        text = raw["text"]
        language = "da" if re.search("[æøå]", text) else "en"
        extra = ""
        if sentences:
            picked = rng.choice(len(sentences), size=rng.integers(1, 4), replace=False)
            extra = " ".join(sentences[j] for j in picked)
        sectors = [SECTOR_CODES[s] for s in raw["sectors"]]
        sectors += [code for word, code in THEME_SECTOR.items() if word in text.lower().split()]
        start = date(2027, 1, 1) + timedelta(days=int(rng.integers(0, 180)))
        rows.append({
            "side": side,
            "owner_id": owner_ids[i % len(owner_ids)],
            "organisation_id": organisation_ids[int(rng.integers(len(organisation_ids)))],
            "language": language,
            "title": _title(text),
            "description": text,
            "problem": extra if side == "taker" else "",
            "outcomes": extra if side == "giver" else None,
            "hopes": "Vi vil gerne genbruge en afprøvet løsning." if side == "taker" else None,
            "keywords": sorted({str(w) for w in rng.choice(text.rstrip(".").lower().split(), size=3)}),
            "facet": FACET_CODES.get(raw["facet"]),
            "level": LEVEL_CODES.get(raw["level"]),
            "region": REGION_CODES[raw["region"]],
            "capacity": int(rng.integers(1, 4)) if side == "giver" else None,
            "available_from": start,
            "available_until": start + timedelta(days=int(rng.integers(60, 365))),
            "sectors": sorted(set(sectors)),
            "target_groups": sorted({TARGET_CODES.get(t, t) for t in raw["target_groups"]}),
        })
    return rows


def seed_database(n_profiles: int, seed: int = 0) -> dict:
    """Insert organisations, owners and ``n_profiles`` profiles; return the benchmark account.

    Runs inside an app context on a migrated, empty database and commits.
    """
    now = utcnow()
    n_orgs = max(3, n_profiles // 20)
    organisation_ids = list(db.session.scalars(insert(Organisation).returning(
        Organisation.id, sort_by_parameter_order=True), [
        {"name": f"Load organisation {i}", "kind": KINDS[i % len(KINDS)],
         "region": list(REGION_CODES.values())[i % 5], "country": "DK",
         "created_at": now, "updated_at": now} for i in range(n_orgs)]))
    template = User(email="x", name="x")
    template.set_password(PASSWORD)  # one hash for every owner: hashing 5,000 times is slow
    confirmed = {"email_confirmed_at": now} if hasattr(User, "email_confirmed_at") else {}
    owner_ids = list(db.session.scalars(insert(User).returning(
        User.id, sort_by_parameter_order=True), [
        {"email": f"owner{i}@load.spread.invalid", "name": f"Owner {i}",
         "password_hash": template.password_hash, "role": Role.PARTICIPANT.value,
         "created_at": now, "updated_at": now, **confirmed}
        for i in range(max(1, n_profiles // 2))]))
    rows = profile_rows(n_profiles, organisation_ids, owner_ids, seed=seed)
    links = [(r.pop("sectors"), r.pop("target_groups")) for r in rows]
    for row in rows:
        row.update(created_at=now, updated_at=now)
    profile_ids = list(db.session.scalars(insert(Profile).returning(
        Profile.id, sort_by_parameter_order=True), rows))
    sector_rows = [{"profile_id": pid, "code": code}
                   for pid, (sectors, _) in zip(profile_ids, links) for code in sectors]
    group_rows = [{"profile_id": pid, "code": code}
                  for pid, (_, groups) in zip(profile_ids, links) for code in groups]
    db.session.execute(insert(ProfileSector), sector_rows)
    db.session.execute(insert(ProfileTargetGroup), group_rows)
    bump_profiles_version()

    user = User(email="load@load.spread.invalid", name="Load benchmark",
                role=Role.PARTICIPANT.value, locale="da")
    user.set_password(PASSWORD)
    if confirmed:
        user.email_confirmed_at = now
    db.session.add(user)
    db.session.flush()
    _, token = create_api_token(user, "load benchmark")
    db.session.commit()
    return {"email": user.email, "password": PASSWORD, "token": token,
            "profile_ids": profile_ids, "real_text": CASES.exists()}
