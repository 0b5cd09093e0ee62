"""Pages: the front page."""
from __future__ import annotations

from flask import render_template

from spread.read_models.front_page import live_counts
from spread.web import bp


@bp.route("/")
def index():
    """The front page: what spread is and how many givers and takers are here."""
    counts, organisations = live_counts()
    return render_template("index.html", counts=counts, organisations=organisations)
