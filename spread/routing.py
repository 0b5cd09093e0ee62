"""URL converters: a number in a path is an id, which the database can hold."""
from __future__ import annotations

from werkzeug.exceptions import NotFound
from werkzeug.routing import IntegerConverter, ValidationError

from spread.models.base import MAX_ID


class IdConverter(IntegerConverter):
    """``<int:...>`` in every route: 0 to :data:`MAX_ID`; a larger number names nothing (404).

    The OpenAPI document shows the bound as the path parameter's ``maximum``.
    """

    def __init__(self, map, *args, **kwargs) -> None:
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)

    def to_python(self, value: str) -> int:
        """The id; 404 when out of range (werkzeug's "no match" would answer 405 when the
        same path has a route for another method)."""
        try:
            return super().to_python(value)
        except ValidationError:
            raise NotFound() from None
