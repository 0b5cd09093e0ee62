"""The API's access idiom: an anonymous caller gets 401 before the body or query is read."""
from __future__ import annotations

import re

import pytest


def _operations_for_logged_in_callers(app) -> list[tuple[str, str]]:
    spec = app.test_client().get("/api/openapi.json").get_json()
    found = []
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            answer = operation.get("responses", {}).get("401") if isinstance(operation, dict) \
                else None
            if answer and answer["description"] == "Not logged in":
                found.append((method.upper(), re.sub(r"\{[^}]+\}", "1", path)))
    return found


def test_the_spec_lists_operations_for_logged_in_callers(app):
    assert len(_operations_for_logged_in_callers(app)) > 40


@pytest.mark.parametrize("body", [{"no_such_field": "x"}, {"name": 12, "state": None}])
def test_anonymous_callers_get_401_before_validation(app, client, body):
    wrong = []
    for method, path in _operations_for_logged_in_callers(app):
        query = "?no_such_parameter=1" if method == "GET" else ""
        response = client.open(path + query, method=method,
                               json=None if method == "GET" else body)
        if response.status_code != 401:
            wrong.append(f"{method} {path}: {response.status_code}")
    assert wrong == []
