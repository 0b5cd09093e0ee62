"""Who may open a page: log in first (redirect), then the role check (403 for the others)."""
from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from flask import abort
from flask_login import current_user, login_required

from spread.models import User


def page_for(allowed: Callable[[User], bool]):
    """Decorator factory: the view is for logged-in users for whom ``allowed(user)`` holds."""

    def decorator(view):
        @login_required
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not allowed(current_user):
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


coordinator_page = page_for(lambda user: user.is_coordinator)
coordinator_page.__doc__ = "Coordinators and admins only (403 for participants)."
admin_page = page_for(lambda user: user.is_admin)
admin_page.__doc__ = "Admins only (403 for coordinators and participants)."
