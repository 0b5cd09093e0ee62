"""Pages: the front page."""
from __future__ import annotations

from flask import render_template
from sqlalchemy import func, select

from spread.extensions import db
from spread.models import Organisation, Profile
from spread.web import bp


@bp.route("/")
def index():
    """The front page: what spread is and how many givers and takers are here."""
    counts = dict(
        db.session.execute(
            select(Profile.side, func.count(Profile.id))
            .where(Profile.archived_at.is_(None))
            .group_by(Profile.side)
        ).all()
    )
    organisations = db.session.scalar(
        select(func.count(Organisation.id)).where(Organisation.archived_at.is_(None))
    )
    return render_template("index.html", counts=counts, organisations=organisations or 0)
