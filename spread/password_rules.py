"""What makes a password acceptable: long enough, not common, not the account's own name.

Following NIST SP 800-63B, there are no composition rules (no "one digit and one symbol"):
length and a list of passwords attackers try first matter more.
"""
from __future__ import annotations

import re

from spread.schemas.messages import N_

MIN_LENGTH = 10
MAX_LENGTH = 200

TOO_SHORT = N_("Use at least {n} characters.")
TOO_LONG = N_("Use at most {n} characters.")
TOO_COMMON = N_("This password is too common; attackers try it first. Choose another.")
TOO_PERSONAL = N_("The password must not contain your name or email address.")
TOO_REPETITIVE = N_("The password must not be one repeated character or a simple sequence.")

# Passwords of at least MIN_LENGTH characters that appear near the top of published
# breached-password lists, plus Danish and spread-specific favourites.
COMMON_PASSWORDS = frozenset({
    "1234567890", "0123456789", "12345678910", "123456789a", "1q2w3e4r5t", "1qaz2wsx3edc",
    "qwertyuiop", "asdfghjkl1", "zxcvbnm123", "password12", "password123", "password1234",
    "passw0rd123", "iloveyou12", "princess12", "football12", "baseball12", "welcome123",
    "abc1234567", "qwerty1234", "qwerty12345", "1111111111", "0000000000", "sommer2024",
    "sommer2025", "sommer2026", "vinter2025", "vinter2026", "adgangskode", "adgangskode1",
    "adgangskode123", "kodeord123", "kodeord1234", "hemmelig123", "velkommen1", "velkommen123",
    "danmark123", "danmark1234", "kommune123", "spread2026", "spread2027", "spread-demo-2027",
    "changeme123", "letmein123", "trustno1234", "administrator", "administrator1",
    "qazwsxedcrfv", "superman123", "starwars123", "dragon12345", "monkey12345",
})

_SEQUENCES = ("0123456789", "abcdefghijklmnopqrstuvwxyzæøå", "qwertyuiopåasdfghjklæøzxcvbnm")


def password_problems(password: str, email: str = "", name: str = "") -> list[str]:
    """Return the rules ``password`` breaks (untranslated messages); empty when it is fine."""
    if len(password) < MIN_LENGTH:
        return [TOO_SHORT.replace("{n}", str(MIN_LENGTH))]
    if len(password) > MAX_LENGTH:
        return [TOO_LONG.replace("{n}", str(MAX_LENGTH))]
    lowered = password.lower()
    squeezed = re.sub(r"[\s\-_.]", "", lowered)
    problems = []
    if lowered in COMMON_PASSWORDS or squeezed in COMMON_PASSWORDS:
        problems.append(TOO_COMMON)
    if _is_repetitive(squeezed):
        problems.append(TOO_REPETITIVE)
    if _contains_personal(lowered, email, name):
        problems.append(TOO_PERSONAL)
    return problems


def _is_repetitive(text: str) -> bool:
    if len(set(text)) <= 2:
        return True
    return any(text in sequence or text in sequence[::-1] for sequence in _SEQUENCES)


def _contains_personal(password: str, email: str, name: str) -> bool:
    local_part = email.lower().split("@")[0]
    parts = [local_part, *re.split(r"[\s.\-_]+", local_part), *name.lower().split()]
    # Short parts ("a", "jo") would match too much; whole addresses and names always count.
    return any(len(part) >= 4 and part in password for part in parts)
