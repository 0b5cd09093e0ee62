"""Schemas for accounts, logins and API tokens."""
from __future__ import annotations

from marshmallow import ValidationError, fields, validates_schema

from spread.password_rules import MAX_LENGTH, password_problems
from spread.schemas.base import BaseSchema, length, one_of, text
from spread.vocabulary import PROFILE_LANGUAGES


def new_password_field() -> fields.String:
    """A password being chosen: checked against the rules in spread.password_rules."""
    return fields.String(required=True, load_only=True, validate=length(1, MAX_LENGTH))


class RegisterSchema(BaseSchema):
    """Input for creating an account."""

    email = fields.Email(required=True, validate=length(max_length=254))
    name = text(200, required=True)
    password = new_password_field()
    locale = fields.String(load_default=None, allow_none=True, validate=one_of(PROFILE_LANGUAGES))

    @validates_schema
    def check_password(self, data: dict, **_kwargs) -> None:
        """Reject weak passwords, and passwords made of the person's own name or email."""
        problems = password_problems(data.get("password", ""), data.get("email", ""),
                                     data.get("name", ""))
        if problems and "password" in data:
            raise ValidationError({"password": problems})


class PasswordResetRequestSchema(BaseSchema):
    """Input for asking for a password reset link."""

    email = fields.Email(required=True, validate=length(max_length=254))


class PasswordResetSchema(BaseSchema):
    """Input for choosing a new password with a reset link."""

    password = new_password_field()


class LoginSchema(BaseSchema):
    """Input for logging in."""

    email = text(254, required=True)
    password = fields.String(required=True, load_only=True, validate=length(1, 200))


class TokenRequestSchema(LoginSchema):
    """Input for creating an API token with email and password."""

    name = text(100, load_default="api")


class AcceptedSchema(BaseSchema):
    """An accepted request whose outcome arrives by mail."""

    message = fields.String(dump_only=True)


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
