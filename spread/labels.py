"""What people read for the codes of rounds, pairs, pairing runs, the audit log and dialogues.

One place for every label a page shows for a stored code; the messages services raise are
marked for translation where they are raised (``N_``), not here.
"""
from flask_babel import lazy_gettext as _l

from spread.models import Adoption
from spread.models.match_model import DEFAULT_MODEL_NOTE

ROUND_STATES = {
    "draft": _l("Draft"),
    "open": _l("Open for registration"),
    "pairing": _l("Pairing"),
    "review": _l("Review"),
    "published": _l("Published"),
    "closed": _l("Closed"),
}

# What the button that moves a round from one state to the next says.
ROUND_TRANSITIONS = {
    ("draft", "open"): _l("Open registration"),
    ("open", "draft"): _l("Back to draft"),
    ("open", "pairing"): _l("Close registration and start pairing"),
    ("pairing", "open"): _l("Reopen registration"),
    ("pairing", "review"): _l("Move to review"),
    ("review", "pairing"): _l("Back to pairing"),
    ("review", "published"): _l("Publish the approved pairs"),
    ("published", "closed"): _l("Close the round"),
}

PAIR_STATUSES = {
    "proposed": _l("Proposed"),
    "approved": _l("Approved"),
    "rejected": _l("Rejected"),
    "closed": _l("Closed"),
}

INTERESTS = {
    "mutual": _l("Mutual interest"),
    "taker": _l("The taker asked for this giver"),
    "giver": _l("The giver asked for this taker"),
}

RUN_METHODS = {
    "optimal": _l("Optimal: the largest total fit"),
    "stable": _l("Stable: no giver and taker would both rather be with each other"),
}

RUN_METHOD_NAMES = {"optimal": _l("optimal"), "stable": _l("stable")}

RUN_STAGES = {
    "queued": _l("Waiting to start"),
    "starting": _l("Starting"),
    "loading": _l("Loading the enrolled profiles"),
    "scoring": _l("Scoring every taker against every giver"),
    "constraints": _l("Applying the rules (organisation, availability, bans)"),
    "pairing": _l("Choosing the pairs"),
    "saving": _l("Saving the proposals"),
    "done": _l("Done"),
}

RUN_STATUSES = {
    "running": _l("Under way"),
    "done": _l("Done"),
    "failed": _l("Failed"),
}

AUDIT_ACTIONS = {
    "round.created": _l("Round created"),
    "round.updated": _l("Round changed"),
    "round.state": _l("State changed"),
    "enrolment.created": _l("Profile enrolled"),
    "enrolment.withdrawn": _l("Profile withdrawn"),
    "pairing.run": _l("Pairing run"),
    "pair.approved": _l("Pair approved"),
    "pair.rejected": _l("Pair rejected"),
    "pair.swapped": _l("Pair swapped"),
    "pair.manual": _l("Pair proposed by hand"),
    "pair.banned": _l("Pair banned"),
    "model.learned": _l("Match model weights learned"),
    "model.adopted": _l("Match model version adopted"),
    "model.rolled_back": _l("Match model rolled back"),
}

MODEL_CRITERIA = {
    "text": _l("Text of the descriptions"),
    "sectors": _l("Shared sectors"),
    "target_groups": _l("Shared target groups"),
    "region": _l("Same region"),
    "level": _l("Same level"),
    "facet": _l("Same facet"),
}

#: Notes the system stores on model versions (in English), as people read them.
MODEL_SYSTEM_NOTES = {DEFAULT_MODEL_NOTE: _l("The matching library's default parameters.")}

MODEL_STATUSES = {
    "candidate": _l("Candidate"),
    "current": _l("Current"),
    "retired": _l("Retired"),
}

COCREATION_MODES = {
    "co-design": _l("Co-design"),
    "co-delivery": _l("Co-delivery"),
    "co-assessment": _l("Co-assessment"),
}

PHASE_STATES = {
    "open": _l("Open"),
    "complete": _l("Complete"),
    "locked": _l("Locked"),
}

ADOPTIONS = {
    Adoption.COPIED.value: _l("Copied as it is"),
    Adoption.ADAPTED.value: _l("Adapted to our context"),
    Adoption.INSPIRED.value: _l("Inspired new development"),
    Adoption.NOT_ADOPTED.value: _l("Not adopted"),
}

SATISFACTION = {
    1: _l("1 – very dissatisfied"),
    2: _l("2 – dissatisfied"),
    3: _l("3 – neither"),
    4: _l("4 – satisfied"),
    5: _l("5 – very satisfied"),
}
