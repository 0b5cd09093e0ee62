"""Schemas for accounts, logins and API tokens."""
from __future__ import annotations

from marshmallow import fields

from spread.schemas.base import BaseSchema, length, one_of, text
from spread.vocabulary import PROFILE_LANGUAGES

PASSWORD_MIN_LENGTH = 10


class RegisterSchema(BaseSchema):
    """Input for creating an account."""

    email = fields.Email(required=True, validate=length(max_length=254))
    name = text(200, required=True)
    password = fields.String(
        required=True, load_only=True, validate=length(PASSWORD_MIN_LENGTH, 200)
    )
    locale = fields.String(load_default=None, allow_none=True, validate=one_of(PROFILE_LANGUAGES))


class LoginSchema(BaseSchema):
    """Input for logging in."""

    email = text(254, required=True)
    password = fields.String(required=True, load_only=True, validate=length(1, 200))


class TokenRequestSchema(LoginSchema):
    """Input for creating an API token with email and password."""

    name = text(100, load_default="api")


class TokenSchema(BaseSchema):
    """An API token; the secret itself is shown only once, when created."""

    id = fields.Integer(dump_only=True)
    name = fields.String(dump_only=True)
    token = fields.String(dump_only=True)
    created_at = fields.DateTime(dump_only=True)


class UserSchema(BaseSchema):
    """A user as others see them."""

    id = fields.Integer(dump_only=True)
    email = fields.Email(dump_only=True)
    name = fields.String(dump_only=True)
    role = fields.String(dump_only=True)
    locale = fields.String(dump_only=True, allow_none=True)


class UserRefSchema(BaseSchema):
    """A short reference to a user, nested in other objects."""

    id = fields.Integer(dump_only=True)
    name = fields.String(dump_only=True)
