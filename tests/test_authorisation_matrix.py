"""Who may call what: every page and API route, as five callers, against a world of real objects.

The table below has one row per (rule, method) of ``app.url_map`` (static files aside) and the
status each caller gets. ``LOGIN`` is the redirect to the login page that anonymous visitors
of a page get. A route without a row, or a row without a route, fails the test by name.

The callers: ``anonymous``; ``owner``, a participant who owns the objects in the URL (the
organisation, the giver profile, its dialogue, entry and interest); ``other``, a participant
who owns none of them; ``coordinator``; ``admin``. Objects of the partner (the taker of the
owner's pair) belong to a sixth account that never calls. A caller who may not do something
gets 403, on pages and in the API alike (existing objects never answer 404 to hide them); an
anonymous API caller gets 401. Writes send valid bodies, so a status other than the denial
means "allowed past the authorisation check"; where the world's state makes an allowed write
fail (an evaluation before it opens; the only admin deleting their own account), the table
pins that 422.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from flask import Flask

from spread.extensions import db
from spread.models import User
from spread.services.account_links import CONFIRM, make_link_token
from tests.authz_fixtures import (
    CALLERS,
    ROLES,
    Callers,
    build_world,
    restore,
    session_cookie,
    snapshot,
)
from tests.conftest import PASSWORD

LOGIN = "login"  # a page's answer to anonymous visitors: 302 to /login?next=...
DENIED = {401, 403, 404, LOGIN}
GUIDE = json.loads(
    (Path(__file__).parents[1] / "spread" / "dialogue" / "phase_guide_v1.json").read_text())

#: Which world object a URL variable names unless the row says otherwise.
DEFAULT_ARGS = {
    "organisation_id": "org", "profile_id": "giver", "round_id": "published",
    "pair_id": "approved_pair", "dialogue_id": "dialogue", "entry_id": "entry",
    "action_id": "next_action", "interest_id": "interest", "run_id": "run", "phase": 1,
    "code": "en", "user_id": "owner_id",
}


class Ref(str):
    """The id of a world object, filled in when the row is called."""


class _Refs:
    def __getattr__(self, name: str) -> Ref:
        return Ref(name)


W = _Refs()


def resolve(value, world: dict):
    """``value`` with every :class:`Ref` replaced by the world object's id."""
    if isinstance(value, Ref):
        return world[value]
    if isinstance(value, dict):
        return {key: resolve(item, world) for key, item in value.items()}
    if isinstance(value, list):
        return [resolve(item, world) for item in value]
    return value


@dataclass(frozen=True)
class Row:
    """One route and method, the request to send and what each caller gets."""

    method: str
    rule: str
    expected: dict
    args: dict = field(default_factory=dict)
    form: dict | None = None
    json: dict | None = None
    raw: str | None = None
    writes: bool | None = None  # None: every method but GET may change data

    @property
    def may_write(self) -> bool:
        """Whether a call that is let through may change the world."""
        return self.method != "GET" if self.writes is None else self.writes

    @property
    def is_api(self) -> bool:
        """API rows authenticate with bearer tokens, pages with the session."""
        return self.rule.startswith("/api/")

    def url(self, world: dict) -> str:
        """The rule with its variables filled in from the world."""
        url = self.rule
        for name, value in {**DEFAULT_ARGS, **self.args}.items():
            value = world.get(value, value) if isinstance(value, str) else value
            for converter in ("int:", "", "path:"):
                url = url.replace(f"<{converter}{name}>", str(value))
        assert "<" not in url, f"no value for a variable of {self.rule}"
        return url

    def body(self, world: dict) -> dict:
        """The keyword arguments of the test client that send the row's body."""
        if self.form is not None:
            return {"data": {k: str(v) for k, v in resolve(self.form, world).items()}}
        if self.json is not None:
            return {"json": resolve(self.json, world)}
        if self.raw is not None:
            return {"data": self.raw, "content_type": "text/csv"}
        return {}

    def __str__(self) -> str:
        return f"{self.method} {self.rule}"


def row(method, rule, anonymous, owner, other, coordinator, admin, **request) -> Row:
    """A table row; the five statuses in the order of the table's columns."""
    expected = dict(zip(("anonymous", "owner", "other", "coordinator", "admin"),
                        (anonymous, owner, other, coordinator, admin)))
    return Row(method, rule, expected, **request)


L = LOGIN
ROUND_FORM = {"name": "Praktik 2032", "registration_opens": "2027-01-01",
              "registration_closes": "2027-02-01", "internship_start": "2027-03-01",
              "internship_end": "2027-03-31", "min_fit": "0.1"}
ORG_FORM = {"name": "Vejle Kommune", "kind": "municipality", "region": "syddanmark",
            "country": "DK"}
PROFILE_FORM = {"side": "giver", "organisation_id": W.org, "title": "Velfærdsteknologi",
                "description": "Skærmbesøg i hjemmeplejen.", "language": "da", "capacity": 2}
EDIT_PROFILE_FORM = {"organisation_id": W.org, "title": "Hverdagsrehabilitering 2.0",
                     "description": "Træning i eget hjem.", "language": "da", "capacity": 2}
ENTRY = {"phase": 1, "note": "Vi har aftalt et besøg."}
EVALUATION = {"satisfaction": 4, "would_recommend": True}
FOLLOW_UP = {"improved_original": True}
REASON = {"reason": "Det passer ikke."}
NEW_PASSWORD = "en helt ny og lang adgangskode"
REGISTRATION = {"email": "ny@example.dk", "name": "Ny Bruger", "password": PASSWORD}

# ---------------------------------------------------------------------------------------------
#    method  rule                                                  anon  owner other coord admin
ROWS = [
    # --- pages: front page, accounts, language
    row("GET", "/",                                                 200, 200, 200, 200, 200),
    row("GET", "/login",                                            200, 200, 200, 200, 200),
    row("POST", "/login",                                           422, 422, 422, 422, 422,
        form={"email": "nobody@example.dk", "password": "wrong password"}),
    row("POST", "/logout",                                          302, 302, 302, 302, 302),
    row("GET", "/register",                                         200, 200, 200, 200, 200),
    row("POST", "/register",                                        422, 422, 422, 422, 422,
        form={"email": "not an address", "name": "Ny", "password": PASSWORD}),
    row("GET", "/language/<code>",                                  302, 302, 302, 302, 302),
    # --- health and readiness, for load balancers (open to anyone, touch nothing private)
    row("GET", "/healthz",                                          200, 200, 200, 200, 200),
    row("GET", "/readyz",                                           200, 200, 200, 200, 200),
    row("GET", "/confirm/<token>",                                  302, 302, 302, 302, 302,
        args={"token": W.confirm_token}, writes=True),
    row("GET", "/password/forgot",                                  200, 200, 200, 200, 200),
    row("POST", "/password/forgot",                                 200, 200, 200, 200, 200,
        form={"email": W.owner_email}),
    row("GET", "/password/reset/<token>",                           200, 200, 200, 200, 200,
        args={"token": W.reset_token}),
    row("POST", "/password/reset/<token>",                          302, 302, 302, 302, 302,
        args={"token": W.reset_token}, form={"password": NEW_PASSWORD}),
    row("GET", "/account",                                            L, 200, 200, 200, 200),
    row("POST", "/account/tokens",                                    L, 302, 302, 302, 302,
        form={"name": "laptop"}),
    row("GET", "/account/data",                                       L, 200, 200, 200, 200),
    row("GET", "/account/data.json",                                  L, 200, 200, 200, 200),
    row("GET", "/account/delete",                                     L, 200, 200, 200, 200),
    row("POST", "/account/delete",                                    L, 302, 302, 302, 422,
        form={"password": PASSWORD}),
    # --- pages: accounts, for admins (the account in the URL is the owner's)
    row("GET", "/admin/users",                                        L, 403, 403, 403, 200),
    row("GET", "/admin/users/<int:user_id>",                          L, 403, 403, 403, 200),
    row("GET", "/admin/users/<int:user_id>/data.json",                L, 403, 403, 403, 200),
    row("GET", "/admin/users/<int:user_id>/delete",                   L, 403, 403, 403, 200),
    row("POST", "/admin/users/<int:user_id>/delete",                  L, 403, 403, 403, 302,
        form={"reason": "Bedt om det pr. mail."}),
    row("POST", "/admin/users/<int:user_id>/role",                    L, 403, 403, 403, 302,
        form={"role": "coordinator"}),
    # --- pages: organisations
    row("GET", "/organisations",                                      L, 200, 200, 200, 200),
    row("GET", "/organisations/new",                                  L, 200, 200, 200, 200),
    row("POST", "/organisations/new",                                 L, 302, 302, 302, 302,
        form=ORG_FORM),
    row("GET", "/organisations/<int:organisation_id>",                L, 200, 200, 200, 200),
    row("GET", "/organisations/<int:organisation_id>/edit",           L, 200, 403, 200, 200),
    row("POST", "/organisations/<int:organisation_id>/edit",          L, 302, 403, 302, 302,
        form=ORG_FORM),
    row("POST", "/organisations/<int:organisation_id>/archive",       L, 302, 403, 302, 302),
    # --- pages: profiles
    row("GET", "/profiles",                                           L, 200, 200, 200, 200),
    row("GET", "/profiles/new",                                       L, 200, 200, 200, 200),
    row("POST", "/profiles/new",                                      L, 302, 302, 302, 302,
        form=PROFILE_FORM),
    row("GET", "/profiles/<int:profile_id>",                          L, 200, 200, 200, 200),
    row("GET", "/profiles/<int:profile_id>/edit",                     L, 200, 403, 200, 200),
    row("POST", "/profiles/<int:profile_id>/edit",                    L, 302, 403, 302, 302,
        form=EDIT_PROFILE_FORM),
    row("POST", "/profiles/<int:profile_id>/archive",                 L, 302, 403, 302, 302),
    # --- pages: rounds, for everyone logged in
    row("GET", "/rounds",                                             L, 200, 200, 200, 200),
    row("GET", "/rounds/<int:round_id>",                              L, 200, 200, 200, 200),
    row("POST", "/rounds/<int:round_id>/enrolments",                  L, 302, 403, 302, 302,
        args={"round_id": W.open}, form={"profile_id": W.spare}),
    row("POST", "/rounds/<int:round_id>/enrolments/withdraw",         L, 302, 403, 302, 302,
        args={"round_id": W.open}, form={"profile_id": W.giver}),
    row("POST", "/rounds/<int:round_id>/interests",                   L, 302, 403, 302, 302,
        args={"round_id": W.open}, form={"from_profile_id": W.giver,
                                         "to_profile_id": W.taker_2}),
    row("POST", "/rounds/<int:round_id>/interests/<int:interest_id>/delete",
        L, 302, 403, 302, 302, args={"round_id": W.open}),
    # --- pages: rounds, for coordinators
    row("GET", "/rounds/new",                                         L, 403, 403, 200, 200),
    row("POST", "/rounds/new",                                        L, 403, 403, 302, 302,
        form=ROUND_FORM),
    row("GET", "/rounds/<int:round_id>/edit",                         L, 403, 403, 200, 200,
        args={"round_id": W.draft}),
    row("POST", "/rounds/<int:round_id>/edit",                        L, 403, 403, 302, 302,
        args={"round_id": W.draft}, form=ROUND_FORM),
    row("POST", "/rounds/<int:round_id>/state",                       L, 403, 403, 302, 302,
        args={"round_id": W.draft}, form={"state": "open"}),
    row("GET", "/rounds/<int:round_id>/run",                          L, 403, 403, 200, 200,
        args={"round_id": W.pairing}),
    row("POST", "/rounds/<int:round_id>/run",                         L, 403, 403, 302, 302,
        args={"round_id": W.pairing}, form={"method": "stable"}),
    row("GET", "/rounds/<int:round_id>/runs/<int:run_id>",            L, 403, 403, 200, 200,
        args={"round_id": W.pairing}),
    row("GET", "/rounds/<int:round_id>/pairs",                        L, 403, 403, 200, 200,
        args={"round_id": W.review}),
    row("POST", "/rounds/<int:round_id>/pairs",                       L, 403, 403, 302, 302,
        args={"round_id": W.review}, form={"taker_id": W.spare, "giver_id": W.giver_c}),
    row("POST", "/rounds/<int:round_id>/bans",                        L, 403, 403, 302, 302,
        args={"round_id": W.review}, form={"taker_id": W.taker, "giver_id": W.giver_c,
                                           "reason": "Kender hinanden."}),
    row("POST", "/pairs/<int:pair_id>/approve",                       L, 403, 403, 302, 302,
        args={"pair_id": W.proposed}),
    row("POST", "/pairs/<int:pair_id>/reject",                        L, 403, 403, 302, 302,
        args={"pair_id": W.proposed}, form={"reason": "For langt væk."}),
    row("POST", "/pairs/<int:pair_id>/swap",                          L, 403, 403, 302, 302,
        args={"pair_id": W.proposed}, form={"other_pair_id": W.proposed_2}),
    row("GET", "/pairs/<int:pair_id>",                                L, 403, 403, 200, 200),
    row("GET", "/rounds/<int:round_id>/audit",                        L, 403, 403, 200, 200),
    row("GET", "/rounds/<int:round_id>/dashboard",                    L, 403, 403, 200, 200),
    row("GET", "/rounds/<int:round_id>/progress",                     L, 403, 403, 200, 200),
    row("GET", "/rounds/<int:round_id>/progress.csv",                 L, 403, 403, 200, 200),
    row("GET", "/rounds/<int:round_id>/export.csv",                   L, 403, 403, 200, 200),
    row("GET", "/rounds/<int:round_id>/import",                       L, 403, 403, 200, 200,
        args={"round_id": W.open}),
    row("POST", "/rounds/<int:round_id>/import",                      L, 403, 403, 422, 422,
        args={"round_id": W.open}, form={}),
    row("GET", "/outbox",                                             L, 403, 403, 200, 200),
    # --- pages: the match model, for coordinators (the world has too few decisions to learn,
    # no version 99, only version 1 and nothing to roll back to: allowed calls are refused)
    row("GET", "/model",                                              L, 403, 403, 200, 200),
    row("POST", "/model/learn",                                       L, 403, 403, 422, 422,
        form={"note": "x"}),
    row("POST", "/model/evaluate",                                    L, 403, 403, 422, 422,
        form={"version": 99}),
    row("POST", "/model/adopt",                                       L, 403, 403, 422, 422,
        form={"version": 1}),
    row("POST", "/model/rollback",                                    L, 403, 403, 422, 422,
        form={}),
    # --- pages: the dialogue of the owner's pair
    row("GET", "/dialogues/<int:dialogue_id>",                        L, 200, 403, 200, 200),
    row("POST", "/dialogues/<int:dialogue_id>/entries",               L, 302, 403, 403, 403,
        form=ENTRY),
    row("GET", "/dialogues/entries/<int:entry_id>/edit",              L, 200, 403, 403, 403),
    row("POST", "/dialogues/entries/<int:entry_id>/edit",             L, 302, 403, 403, 403,
        form={"note": "Vi har holdt to møder."}),
    row("POST", "/dialogues/next-actions/<int:action_id>",            L, 302, 403, 403, 403,
        form={"done": "true"}),
    row("POST", "/dialogues/<int:dialogue_id>/phases/<int:phase>/ticks",
        L, 302, 403, 403, 403, form={"done": "0"}),
    row("POST", "/dialogues/<int:dialogue_id>/phases/<int:phase>/done",
        L, 302, 403, 403, 403),
    row("POST", "/dialogues/<int:dialogue_id>/work-ahead",            L, 302, 403, 403, 403,
        form={"enabled": "true"}),
    row("POST", "/dialogues/<int:dialogue_id>/poor-fit",              L, 422, 403, 403, 403,
        form=REASON),
    row("POST", "/dialogues/<int:dialogue_id>/evaluation",            L, 422, 403, 403, 403,
        form=EVALUATION),
    row("POST", "/dialogues/<int:dialogue_id>/follow-up",             L, 422, 403, 403, 403,
        form=FOLLOW_UP),
    row("POST", "/dialogues/<int:dialogue_id>/close",                 L, 403, 403, 302, 302,
        form=REASON),
    row("GET", "/admin/phase-guide",                                  L, 403, 403, 403, 200),
    row("POST", "/admin/phase-guide",                                 L, 403, 403, 403, 302,
        form={"phases": json.dumps(GUIDE["phases"]), "note": "Ny udgave"}),

    # --- API: documentation, accounts
    row("GET", "/api/openapi.json",                                 200, 200, 200, 200, 200),
    row("POST", "/api/v1/auth/register",                            202, 202, 202, 202, 202,
        json=REGISTRATION),
    row("POST", "/api/v1/auth/tokens",                              201, 201, 201, 201, 201,
        json={"email": W.owner_email, "password": PASSWORD}),
    row("GET", "/api/v1/me",                                        401, 200, 200, 200, 200),
    row("GET", "/api/v1/me/pairs",                                  401, 200, 200, 200, 200),
    row("GET", "/api/v1/me/dialogues",                              401, 200, 200, 200, 200),
    row("GET", "/api/v1/me/data",                                   401, 200, 200, 200, 200),
    row("DELETE", "/api/v1/me",                                     401, 204, 204, 204, 422,
        json={"password": PASSWORD}),
    # --- API: accounts, for admins (the account in the URL is the owner's)
    row("GET", "/api/v1/admin/users",                               401, 403, 403, 403, 200),
    row("GET", "/api/v1/admin/users/<int:user_id>",                 401, 403, 403, 403, 200),
    row("GET", "/api/v1/admin/users/<int:user_id>/data",            401, 403, 403, 403, 200),
    row("DELETE", "/api/v1/admin/users/<int:user_id>",              401, 403, 403, 403, 204,
        json={"reason": "Bedt om det pr. mail."}),
    row("PUT", "/api/v1/admin/users/<int:user_id>/role",            401, 403, 403, 403, 200,
        json={"role": "coordinator"}),
    # --- API: organisations
    row("GET", "/api/v1/organisations/",                            401, 200, 200, 200, 200),
    row("POST", "/api/v1/organisations/",                           401, 201, 201, 201, 201,
        json=ORG_FORM),
    row("GET", "/api/v1/organisations/<int:organisation_id>",       401, 200, 200, 200, 200),
    row("PATCH", "/api/v1/organisations/<int:organisation_id>",     401, 200, 403, 200, 200,
        json={"name": "Aarhus Kommune, Sundhed og Omsorg"}),
    row("POST", "/api/v1/organisations/<int:organisation_id>/archive",
        401, 200, 403, 200, 200),
    row("POST", "/api/v1/organisations/<int:organisation_id>/restore",
        401, 200, 403, 200, 200),
    # --- API: profiles
    row("GET", "/api/v1/profiles/",                                 401, 200, 200, 200, 200),
    row("POST", "/api/v1/profiles/",                                401, 201, 201, 201, 201,
        json={**PROFILE_FORM, "capacity": 2}),
    row("GET", "/api/v1/profiles/<int:profile_id>",                 401, 200, 200, 200, 200),
    row("PATCH", "/api/v1/profiles/<int:profile_id>",               401, 200, 403, 200, 200,
        json={"title": "Hverdagsrehabilitering 2.0"}),
    row("GET", "/api/v1/profiles/<int:profile_id>/suggestions",     401, 200, 200, 200, 200),
    row("POST", "/api/v1/profiles/<int:profile_id>/archive",        401, 200, 403, 200, 200),
    row("POST", "/api/v1/profiles/<int:profile_id>/restore",        401, 200, 403, 200, 200),
    # --- API: rounds, for everyone logged in
    row("GET", "/api/v1/rounds/",                                   401, 200, 200, 200, 200),
    row("GET", "/api/v1/rounds/<int:round_id>",                     401, 200, 200, 200, 200),
    row("GET", "/api/v1/rounds/<int:round_id>/enrolments",          401, 200, 200, 200, 200,
        args={"round_id": W.open}),
    row("POST", "/api/v1/rounds/<int:round_id>/enrolments",         401, 201, 403, 201, 201,
        args={"round_id": W.open}, json={"profile_id": W.spare}),
    row("POST", "/api/v1/rounds/<int:round_id>/enrolments/withdraw",
        401, 200, 403, 200, 200, args={"round_id": W.open}, json={"profile_id": W.giver}),
    row("GET", "/api/v1/rounds/<int:round_id>/interests",           401, 200, 200, 200, 200,
        args={"round_id": W.open}),
    row("POST", "/api/v1/rounds/<int:round_id>/interests",          401, 201, 403, 201, 201,
        args={"round_id": W.open}, json={"from_profile_id": W.giver,
                                         "to_profile_id": W.taker_2}),
    row("DELETE", "/api/v1/rounds/<int:round_id>/interests/<int:interest_id>",
        401, 204, 403, 204, 204, args={"round_id": W.open}),
    # --- API: rounds, for coordinators
    row("POST", "/api/v1/rounds/",                                  401, 403, 403, 201, 201,
        json={**ROUND_FORM, "min_fit": 0.1}),
    row("PATCH", "/api/v1/rounds/<int:round_id>",                   401, 403, 403, 200, 200,
        args={"round_id": W.draft}, json={"name": "Praktik 2031, forår"}),
    row("POST", "/api/v1/rounds/<int:round_id>/transitions",        401, 403, 403, 200, 200,
        args={"round_id": W.draft}, json={"state": "open"}),
    row("POST", "/api/v1/rounds/<int:round_id>/runs",               401, 403, 403, 202, 202,
        args={"round_id": W.pairing}, json={"method": "stable"}),
    row("GET", "/api/v1/rounds/<int:round_id>/runs/<int:run_id>",   401, 403, 403, 200, 200,
        args={"round_id": W.pairing}),
    row("GET", "/api/v1/rounds/<int:round_id>/pairs",               401, 403, 403, 200, 200,
        args={"round_id": W.review}),
    row("POST", "/api/v1/rounds/<int:round_id>/pairs",              401, 403, 403, 201, 201,
        args={"round_id": W.review}, json={"taker_id": W.spare, "giver_id": W.giver_c}),
    row("POST", "/api/v1/rounds/<int:round_id>/bans",               401, 403, 403, 201, 201,
        args={"round_id": W.review}, json={"taker_id": W.taker, "giver_id": W.giver_c,
                                           "reason": "Kender hinanden."}),
    row("POST", "/api/v1/pairs/<int:pair_id>/approve",              401, 403, 403, 200, 200,
        args={"pair_id": W.proposed}, json={}),
    row("POST", "/api/v1/pairs/<int:pair_id>/reject",               401, 403, 403, 200, 200,
        args={"pair_id": W.proposed}, json={"reason": "For langt væk."}),
    row("POST", "/api/v1/pairs/<int:pair_id>/swap",                 401, 403, 403, 200, 200,
        args={"pair_id": W.proposed}, json={"other_pair_id": W.proposed_2}),
    row("GET", "/api/v1/pairs/<int:pair_id>/audit",                 401, 403, 403, 200, 200),
    row("GET", "/api/v1/rounds/<int:round_id>/audit",               401, 403, 403, 200, 200),
    row("GET", "/api/v1/rounds/<int:round_id>/dashboard",           401, 403, 403, 200, 200),
    row("GET", "/api/v1/rounds/<int:round_id>/progress",            401, 403, 403, 200, 200),
    row("GET", "/api/v1/rounds/<int:round_id>/export.csv",          401, 403, 403, 200, 200),
    row("POST", "/api/v1/rounds/<int:round_id>/import",             401, 403, 403, 200, 200,
        args={"round_id": W.open},
        raw="email;side;title\nowner@example.dk;giver;Hverdagsrehabilitering\n"),
    # --- API: the dialogue of the owner's pair
    row("GET", "/api/v1/dialogues/<int:dialogue_id>",               401, 200, 403, 200, 200),
    row("POST", "/api/v1/dialogues/<int:dialogue_id>/entries",      401, 201, 403, 403, 403,
        json=ENTRY),
    row("PATCH", "/api/v1/entries/<int:entry_id>",                  401, 200, 403, 403, 403,
        json={"note": "Vi har holdt to møder."}),
    row("PATCH", "/api/v1/next-actions/<int:action_id>",            401, 200, 403, 403, 403,
        json={"done": True}),
    row("POST", "/api/v1/dialogues/<int:dialogue_id>/phases/<int:phase>/ticks",
        401, 200, 403, 403, 403, json={"action": 0, "done": True}),
    row("POST", "/api/v1/dialogues/<int:dialogue_id>/phases/<int:phase>/done",
        401, 200, 403, 403, 403),
    row("POST", "/api/v1/dialogues/<int:dialogue_id>/work-ahead",   401, 200, 403, 403, 403,
        json={"enabled": True}),
    row("POST", "/api/v1/dialogues/<int:dialogue_id>/poor-fit",     401, 422, 403, 403, 403,
        json=REASON),
    row("POST", "/api/v1/dialogues/<int:dialogue_id>/evaluation",   401, 422, 403, 403, 403,
        json=EVALUATION),
    row("POST", "/api/v1/dialogues/<int:dialogue_id>/follow-up",    401, 422, 403, 403, 403,
        json=FOLLOW_UP),
    row("POST", "/api/v1/dialogues/<int:dialogue_id>/close",        401, 403, 403, 200, 200,
        json=REASON),
    row("GET", "/api/v1/phase-guides",                              401, 200, 200, 200, 200),
    row("POST", "/api/v1/phase-guides",                             401, 403, 403, 403, 201,
        json={"phases": GUIDE["phases"], "note": "Ny udgave"}),
]
# ---------------------------------------------------------------------------------------------


def route_keys(app: Flask) -> set[tuple[str, str]]:
    """Every (rule, method) the app answers, static files and HEAD/OPTIONS aside."""
    return {(rule.rule, method) for rule in app.url_map.iter_rules()
            if rule.endpoint != "static"
            for method in rule.methods - {"HEAD", "OPTIONS"}}


@pytest.fixture
def callers(app, create_user, token_for) -> Callers:
    """The five callers (and the partner, who never calls), logged in and with API tokens."""
    users = {name: create_user(role=role, email=f"{name}@example.dk")
             for name, role in ROLES.items()}
    cookies = {"anonymous": None}
    headers = {"anonymous": {"Accept-Language": "en"}}
    for name in CALLERS[1:]:
        cookies[name] = session_cookie(app, users[name].email, PASSWORD)
        headers[name] = token_for(users[name])
    return Callers(users, cookies, headers)


def call(app: Flask, callers: Callers, table_row: Row, caller: str, world: dict):
    """Send the row's request as ``caller``."""
    if table_row.is_api:
        client, headers = app.test_client(), callers.headers[caller]
    else:
        client, headers = callers.page_client(app, caller), {"Accept-Language": "en"}
    return client.open(table_row.url(world), method=table_row.method, headers=headers,
                       **table_row.body(world))


def outcome(response) -> int | str:
    """The status, or ``LOGIN`` for a redirect to the login page."""
    if response.status_code == 302 and response.location.startswith("/login?"):
        return LOGIN
    return response.status_code


def run_rows(app: Flask, callers: Callers, rows: list[Row]) -> list[str]:
    """Call every row as every caller; return the mismatches, one readable line each.

    Each caller meets the world as it was built: after a call that may have changed it (a
    write that was let through) every row is put back.
    """
    world = build_world(callers.users)
    built = snapshot()
    dirty = False
    mismatches = []
    for table_row in rows:
        for caller in CALLERS:
            if dirty:
                restore(built)
                dirty = False
            expected = table_row.expected[caller]
            response = call(app, callers, table_row, caller, world)
            got = outcome(response)
            db.session.rollback()
            if got != expected:
                detail = response.get_data(as_text=True)[:200].replace("\n", " ")
                mismatches.append(f"{table_row}: {caller} expected {expected}, got {got} "
                                  f"({table_row.url(world)}: {detail})")
            if table_row.may_write and got not in DENIED:
                dirty = True
    return mismatches


def test_every_route_has_exactly_one_row(app):
    """A new route must be added to the table; a removed one must leave it."""
    keys = [(r.rule, r.method) for r in ROWS]
    duplicates = sorted({key for key in keys if keys.count(key) > 1})
    assert not duplicates, f"routes with more than one row: {duplicates}"
    routes = route_keys(app)
    missing = sorted(routes - set(keys))
    stale = sorted(set(keys) - routes)
    assert not missing, "routes without a row in the authorisation table: " + ", ".join(
        f"{method} {rule}" for rule, method in missing)
    assert not stale, "rows for routes that no longer exist: " + ", ".join(
        f"{method} {rule}" for rule, method in stale)


@pytest.mark.parametrize("kind", ["pages", "api"])
def test_every_caller_gets_the_status_of_the_table(app, callers, monkeypatch, kind):
    """Anonymous: login redirect (pages) or 401 (API); forbidden: 403; allowed: success or
    the validation status of the world's state."""
    monkeypatch.setitem(app.config, "PAIRING_IN_BACKGROUND", False)
    rows = [r for r in ROWS if r.is_api == (kind == "api")]
    mismatches = run_rows(app, callers, rows)
    assert not mismatches, f"{len(mismatches)} calls differ from the table:\n" + "\n".join(
        mismatches)


def test_the_matrix_notices_a_route_that_lets_everyone_in(app, callers, monkeypatch):
    """The check can fail: a row that claims "others are refused" fails when they are not."""
    wrong = row("GET", "/profiles/<int:profile_id>", L, 200, 403, 200, 200)
    mismatches = run_rows(app, callers, [wrong])
    assert len(mismatches) == 1 and "other expected 403, got 200" in mismatches[0]


def test_a_used_confirmation_link_is_no_key_to_the_account(app, create_user):
    """The confirmation link logs in once; whoever finds it later (an old mail, a proxy log,
    the browser history) must not get into the account with it."""
    user = User(email="newcomer@example.dk", name="Ny Bruger", role="participant")
    user.set_password(PASSWORD)
    db.session.add(user)
    db.session.commit()
    link = f"/confirm/{make_link_token(user, CONFIRM)}"

    owner = app.test_client()
    assert owner.get(link).location == "/account"
    assert owner.get("/account").status_code == 200

    finder = app.test_client()
    assert finder.get(link, headers={"Accept-Language": "en"}).status_code == 404
    assert outcome(finder.get("/account")) == LOGIN


def test_the_partner_in_a_dialogue_cannot_edit_this_sides_entries(app, callers):
    """Both sides take part in the dialogue, but an entry is its author's alone."""
    world = build_world(callers.users)
    partner = callers.users["partner"]
    client = app.test_client()
    token = client.post("/api/v1/auth/tokens",
                        json={"email": partner.email, "password": PASSWORD}).json["token"]
    headers = {"Authorization": f"Bearer {token}", "Accept-Language": "en"}
    assert client.get(f"/api/v1/dialogues/{world['dialogue']}", headers=headers).json[
        "viewer_side"] == "taker"
    response = client.patch(f"/api/v1/entries/{world['entry']}", json={"note": "Ændret."},
                            headers=headers)
    assert response.status_code == 403
    client.set_cookie("session", session_cookie(app, partner.email, PASSWORD))
    assert client.get(f"/dialogues/entries/{world['entry']}/edit").status_code == 403
    assert client.post(f"/dialogues/entries/{world['entry']}/edit",
                       data={"note": "Ændret."}).status_code == 403
