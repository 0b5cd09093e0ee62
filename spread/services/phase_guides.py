"""The phase guide: six phase definitions as versioned data, in Danish and English.

Version 1 is ``spread/dialogue/phase_guide_v1.json``, stored on first use. An admin's edit
publishes a new version; dialogues keep the version they started with.
"""
from __future__ import annotations

import json
import logging
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from spread.extensions import db
from spread.models import PhaseGuide, User
from spread.schemas.dialogues import PhasesSchema

logger = logging.getLogger(__name__)

GUIDE_V1_PATH = Path(__file__).resolve().parent.parent / "dialogue" / "phase_guide_v1.json"


def default_phases() -> list[dict]:
    """The six phases of the first edition of the guide, validated."""
    data = json.loads(GUIDE_V1_PATH.read_text(encoding="utf-8"))
    return PhasesSchema().load({"phases": data["phases"]})["phases"]


def latest_guide() -> PhaseGuide | None:
    """The newest stored version, if any."""
    return db.session.scalar(select(PhaseGuide).order_by(PhaseGuide.version.desc()).limit(1))


def current_guide() -> PhaseGuide:
    """The newest version of the guide; version 1 is stored from the JSON on first use."""
    guide = latest_guide()
    if guide is not None:
        return guide
    data = json.loads(GUIDE_V1_PATH.read_text(encoding="utf-8"))
    try:
        with db.session.begin_nested():
            guide = PhaseGuide(version=1, phases=default_phases(), note=data.get("note"))
            db.session.add(guide)
    except IntegrityError:
        # Another transaction stored version 1 at the same moment: use theirs.
        guide = latest_guide()
        assert guide is not None
    return guide


def guide_versions() -> list[PhaseGuide]:
    """Every version, newest first."""
    current_guide()
    return list(db.session.scalars(select(PhaseGuide).order_by(PhaseGuide.version.desc())))


def publish_guide(phases: list[dict], actor: User, note: str | None = None) -> PhaseGuide:
    """Validate six phase definitions and store them as the next version of the guide."""
    phases = PhasesSchema().load({"phases": phases})["phases"]
    current_guide()
    version = (db.session.scalar(select(func.max(PhaseGuide.version))) or 0) + 1
    guide = PhaseGuide(version=version, phases=phases, note=note, created_by_id=actor.id)
    db.session.add(guide)
    db.session.flush()
    logger.info("phase guide version %s published by user %s", version, actor.id)
    return guide
