"""Helpers shared by listings: LIKE escaping and paging."""
from __future__ import annotations

from dataclasses import dataclass
from math import ceil
from typing import Any

from sqlalchemy import Select, func, select

from spread.extensions import db


def escape_like(value: str) -> str:
    """Escape LIKE wildcards so user text is matched literally (use with ``escape='\\\\'``)."""
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def contains(column, text: str):
    """A case-insensitive 'column contains text' condition."""
    return column.ilike(f"%{escape_like(text)}%", escape="\\")


@dataclass
class Page:
    """One page of a listing."""

    items: list[Any]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        """Number of pages (at least one)."""
        return max(1, ceil(self.total / self.per_page))


def paginate(query: Select, page: int, per_page: int) -> Page:
    """Run ``query`` for one page and count the whole result."""
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    items = list(db.session.scalars(query.limit(per_page).offset((page - 1) * per_page)))
    return Page(items=items, total=total or 0, page=page, per_page=per_page)
