"""Fuzz every operation of /api/openapi.json with schemathesis, as a participant and a coordinator.

Each operation gets ``SPREAD_FUZZ_EXAMPLES`` generated requests (default 8) per role, valid and
invalid ones, against a freshly seeded world whose ids most path parameters hit. No response may
be a server error, and every response must match what the document promises: status code,
content type, headers and body schema; invalid input must be rejected. Under ``CI=true`` the
examples are derandomised; otherwise they are random, and ``SPREAD_FUZZ_SEED`` replays a run.
A longer run::

    SPREAD_FUZZ_EXAMPLES=300 .venv/bin/python -m pytest tests/test_api_fuzz.py -p no:cacheprovider
"""
from __future__ import annotations

import os
import random

import pytest
import schemathesis
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.hooks import HookDispatcher, HookScope
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.conftest import make_test_app
from tests.factories import token_headers
from tests.fuzz_support import build_world

EXAMPLES = int(os.environ.get("SPREAD_FUZZ_EXAMPLES", "8"))
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
SEED = int(os.environ.get("SPREAD_FUZZ_SEED") or random.randrange(2**32))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_headers_conformance, response_schema_conformance, negative_data_rejection]
ROLES = {"participant": "en", "coordinator": "da"}  # and the language each one asks for

# Operations that end the caller's account (or its tokens): each call gets a fresh account so
# that the rest of the run keeps a working token. What they do is tested in tests/test_privacy.py.
ACCOUNT_ENDING = {
    ("DELETE", "/api/v1/me"),
}


def served_operations() -> list[tuple[str, str]]:
    """(method, path) of every operation in the document the app serves."""
    app = make_test_app("sqlite://")
    paths = app.test_client().get("/api/openapi.json").json["paths"]
    return [(method.upper(), path) for path, item in paths.items() for method in item
            if method in {"get", "put", "post", "patch", "delete"}]


OPERATIONS = served_operations()


@pytest.fixture
def app(app):
    """The app, running pairing runs inside the request so that no thread outlives a test."""
    before = app.config.get("PAIRING_IN_BACKGROUND")
    app.config["PAIRING_IN_BACKGROUND"] = False
    yield app
    app.config["PAIRING_IN_BACKGROUND"] = before if before is not None else True


@pytest.fixture
def world(publish_pair, create_profile, create_organisation):
    """A seeded world: a published pair with a dialogue, open, in-review and draft rounds."""
    return build_world(publish_pair, create_profile, create_organisation)


def path_hook(ids: dict) -> HookDispatcher:
    """Hooks that point most generated path parameters at objects that exist."""
    hooks = HookDispatcher(scope=HookScope.TEST)

    @hooks.hook
    def flatmap_path_parameters(context, path_parameters):
        if not path_parameters:
            return st.just(path_parameters)
        chosen = {name: st.sampled_from([*ids[name]] * 4 + [value]) if ids.get(name)
                  else st.just(value) for name, value in path_parameters.items()}
        return st.fixed_dictionaries(chosen)

    return hooks


def strategy(operation, ids: dict, headers: dict):
    """Valid requests (mostly at existing objects) and invalid ones, for one operation.

    ``headers`` are sent as they are: invalid requests never count a missing token as their
    flaw while the caller's token goes out with them.
    """
    return st.one_of(
        operation.as_strategy(schemathesis.GenerationMode.POSITIVE, hooks=path_hook(ids),
                              headers=headers),
        operation.as_strategy(schemathesis.GenerationMode.NEGATIVE, headers=headers),
    )


def fuzz_settings(examples: int):
    """Bounded examples, no deadline; derandomised in CI, else seeded by SPREAD_FUZZ_SEED."""

    def decorate(test):
        test = settings(max_examples=examples, deadline=None, derandomize=IN_CI, database=None,
                        print_blob=True,
                        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                                               HealthCheck.data_too_large])(test)
        return test if IN_CI else seed(SEED)(test)

    return decorate


@pytest.mark.parametrize("role", [*ROLES, "anonymous"])
@pytest.mark.parametrize(("method", "path"), OPERATIONS,
                         ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_operation_keeps_its_documented_promises(app, request, role, method, path):
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app)
    operation = schema[path][method]
    if role == "anonymous":  # no token: only the 401s (and input errors) are to be seen
        ids, headers, examples = {}, {"Accept-Language": "da"}, max(2, EXAMPLES // 4)
    else:
        world = request.getfixturevalue("world")
        ids, examples = world.ids, EXAMPLES
        headers = {**world.headers[role], "Accept-Language": ROLES[role]}
    fresh_account = role != "anonymous" and (method, path) in ACCOUNT_ENDING
    create_user = request.getfixturevalue("create_user") if fresh_account else None

    @fuzz_settings(examples)
    @given(case=strategy(operation, ids, headers))
    def fuzz(case):
        sent = dict(headers)
        if fresh_account:
            sent["Authorization"] = token_headers(create_user(role=role))["Authorization"]
        case.call_and_validate(headers=sent, checks=CHECKS)

    try:
        fuzz()
    except Exception as error:
        error.add_note(f"Replay with SPREAD_FUZZ_SEED={SEED}" if not IN_CI else
                       "Derandomised run (CI=true)")
        raise


def test_most_generated_paths_name_existing_objects(app, world):
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app)
    operation = schema["/api/v1/rounds/{round_id}/interests/{interest_id}"]["DELETE"]
    existing = []

    @settings(max_examples=60, derandomize=True, database=None, deadline=None,
              suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy(schemathesis.GenerationMode.POSITIVE,
                                      hooks=path_hook(world.ids)))
    def collect(case):
        existing.append(all(value in world.ids[name]
                            for name, value in case.path_parameters.items()))

    collect()
    assert len(existing) >= 30
    assert sum(existing) >= len(existing) / 2  # most calls reach real objects...
    assert not all(existing)  # ...and some ask for ids that do not exist


def test_every_served_operation_is_fuzzed(client):
    paths = client.get("/api/openapi.json").json["paths"]
    served = {(m.upper(), p) for p, item in paths.items() for m in item if m != "parameters"}
    assert served == set(OPERATIONS)
    assert len(OPERATIONS) > 40
