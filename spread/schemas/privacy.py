"""Schemas for the personal-data export, account deletion and the admins' account pages."""
from __future__ import annotations

from marshmallow import fields

from spread.models import Role
from spread.schemas.base import BaseSchema, PageSchema, length, one_of, text

ROLES = [role.value for role in Role]


class DeleteOwnAccountSchema(BaseSchema):
    """Input for deleting one's own account: the password, as confirmation."""

    password = fields.String(required=True, load_only=True, validate=length(1, 200))


class DeleteAccountSchema(BaseSchema):
    """Input for an admin deleting an account on request: why, for the audit log."""

    reason = text(1000, required=True)


class RoleInputSchema(BaseSchema):
    """Input for changing an account's role."""

    role = fields.String(required=True, validate=one_of(ROLES))


class UserSearchSchema(PageSchema):
    """Query of the admins' account list: words in the name or email, paging."""

    q = text(200, load_default="")


class AccountSchema(BaseSchema):
    """An account as admins see it."""

    id = fields.Integer(dump_only=True)
    email = fields.String(dump_only=True)
    name = fields.String(dump_only=True)
    role = fields.String(dump_only=True)
    locale = fields.String(dump_only=True, allow_none=True)
    active = fields.Boolean(dump_only=True)
    created_at = fields.DateTime(dump_only=True)
    email_confirmed_at = fields.DateTime(dump_only=True, allow_none=True)
    deleted_at = fields.DateTime(dump_only=True, allow_none=True)


class AccountPageSchema(BaseSchema):
    """One page of accounts."""

    items = fields.List(fields.Nested(AccountSchema))
    total = fields.Integer()
    page = fields.Integer()
    per_page = fields.Integer()
    pages = fields.Integer()


def _rows(description: str) -> fields.List:
    return fields.List(fields.Dict(), metadata={"description": description})


class DataExportSchema(BaseSchema):
    """Everything spread holds about one person (a JSON file download)."""

    format = fields.String()
    version = fields.Integer()
    exported_at = fields.String()
    account = fields.Dict(metadata={"description": "The account (no password or token hashes)"})
    api_tokens = _rows("API tokens: names and dates")
    organisations = _rows("Organisations the person created")
    profiles = _rows("The person's profiles, with sectors and target groups")
    rounds = _rows("Rounds the person created or took part in")
    enrolments = _rows("Enrolments of the person's profiles, or made by the person")
    interests = _rows("Interest stated by or in the person's profiles")
    pairs = _rows("Pairs of the person's profiles, or decided by the person")
    banned_pairs = _rows("Banned pairs involving the person's profiles, or banned by them")
    pairing_runs = _rows("Pairing runs the person started")
    match_models = _rows("Similarity-model versions the person recorded")
    phase_guides = _rows("Phase guide versions the person published")
    dialogues = _rows("Dialogues of the person's pairs, or where they acted")
    phase_marks = _rows("Phase marks in those dialogues")
    action_ticks = _rows("Ticked actions in those dialogues")
    log_entries = _rows("Log entries in those dialogues, or written by the person")
    log_entry_revisions = _rows("Earlier versions of those log entries")
    next_actions = _rows("Next actions of those log entries")
    poor_fit_flags = _rows("Poor-fit flags in those dialogues")
    evaluations = _rows("Evaluations in those dialogues")
    follow_ups = _rows("Follow-up reports in those dialogues")
    audit_events = _rows("Audit events where the person is the actor")
    outbox_messages = _rows("Emails sent to the person")
