"""CSV for spreadsheets: UTF-8 with a BOM, ``;`` between cells, formulas neutralised.

Danish Excel opens such a file correctly by double-click (the BOM tells it UTF-8, the
semicolon is its list separator). Any text cell that a spreadsheet would read as a formula
gets a leading apostrophe, so a profile title like ``=HYPERLINK(...)`` stays text.
"""
from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

BOM = "\ufeff"
DELIMITER = ";"
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> str:
    """One cell as text: ``None`` is empty, numbers stay numbers, formula-like text is quoted."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, (int, float)):
        return str(value)
    text = str(value)
    if text.startswith(FORMULA_PREFIXES):
        return "'" + text
    return text


def write_csv(rows: Iterable[Sequence[Any]], header: Sequence[Any]) -> str:
    """Return the CSV text (BOM first) of ``header`` and ``rows``, every cell guarded."""
    buffer = io.StringIO()
    buffer.write(BOM)
    writer = csv.writer(buffer, delimiter=DELIMITER, lineterminator="\r\n")
    writer.writerow([safe_cell(cell) for cell in header])
    for row in rows:
        writer.writerow([safe_cell(cell) for cell in row])
    return buffer.getvalue()
