"""Pages: internship rounds for coordinators and participants, one module per page group.

- :mod:`.setup`: the list of rounds, creating and editing a round.
- :mod:`.overview`: a round's page, its state changes, enrolment and stated interest.
- :mod:`.runs`: starting a pairing run and following its progress.
- :mod:`.review`: the review table and the decisions on pairs (approve, reject, swap, ban).
- :mod:`.audit`: the audit log, one pair's history, and the outbox of sent emails.

Views stay thin: a schema validates the form, a service does the work (the same services the
JSON API in :mod:`spread.api.rounds` calls), :func:`spread.web.forms.submit` commits and
redirects, or shows the page again with the messages (422 invalid input, 409 lost race).
"""
from spread.web.rounds import audit, overview, review, runs, setup  # noqa: F401  (routes)
