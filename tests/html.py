"""Reading the pages the test client gets back: text, field values, selections."""
from __future__ import annotations

import re


def page(response) -> str:
    """The response body as text."""
    return response.get_data(as_text=True)


def input_value(html: str, name: str) -> str:
    """The value of the ``<input id=name name=name>``."""
    match = re.search(rf'<input type="[a-z]+" id="{name}" name="{name}" value="([^"]*)"', html)
    assert match, f"no input {name}"
    return match.group(1)


def selected(html: str, select_id: str) -> str | None:
    """The value of the selected option of the ``<select id=select_id>``."""
    body = re.search(rf'<select id="{select_id}".*?</select>', html, re.DOTALL)
    assert body, f"no select {select_id}"
    match = re.search(r'<option value="([^"]*)"\s*selected>', body.group(0))
    return match.group(1) if match else None
