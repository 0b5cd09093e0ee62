"""Each process's suggestion index, rebuilt from the stored fitted model when profiles change.

Every profile write bumps ``matching_state.profiles_version`` in its transaction. A request for
suggestions compares that counter with the one its index was built at. A stale index of a small
database is rebuilt on the spot; above ``SUGGESTIONS_SYNC_REFIT_LIMIT`` profiles a background
thread rebuilds it while requests keep using the previous index. Rebuilding loads the stored
fitted model (``store.serving_model``): it fits only when nothing is stored yet; otherwise the
newest stored fit serves while the fit at the new profiles version is requested, and the index
is rebuilt again once that fit is stored, by whichever process fitted it.
"""
from __future__ import annotations

import logging
import threading

from flask import Flask, current_app

from spread.extensions import db
from spread.matchmaking import store
from spread.matchmaking.index import SuggestionIndex, build_index
from spread.models.matching_state import profiles_version

logger = logging.getLogger(__name__)

EXTENSION_KEY = "spread_suggestions"


class SuggestionEngine:
    """Holds this process's index and decides when to rebuild it."""

    def __init__(self, app: Flask):
        self.app = app
        self._index: SuggestionIndex | None = None
        self._lock = threading.Lock()
        self._refitting: threading.Thread | None = None

    def peek(self) -> SuggestionIndex | None:
        """The index as it is, without checking the database (None before the first build)."""
        return self._index

    def index(self) -> SuggestionIndex:
        """The current index, rebuilt now or in the background when profiles changed."""
        return self.current()[0]

    def _stale(self, index: SuggestionIndex | None, version: int) -> bool:
        if index is None or index.version != version:
            return True
        # While the index serves an older fit, look for the newer one, which the queue's worker
        # (on any host) may have stored by now: one small query, only in that window.
        return index.fitted_at < version and (
            store.newest_stored(index.model_id) or -1) > index.fitted_at

    def current(self, version: int | None = None) -> tuple[SuggestionIndex, int]:
        """The index to use and the database's profiles version (newer while a refit runs).

        ``version``: the profiles version just read from the database, if the caller has it.
        """
        if version is None:
            version = profiles_version()
        index = self._index
        if not self._stale(index, version):
            return index, version
        limit = self.app.config.get("SUGGESTIONS_SYNC_REFIT_LIMIT", 5000)
        if index is None or index.size <= limit:
            with self._lock:
                if self._stale(self._index, version):
                    self._index = self._build(version)
                return self._index, version
        self._refit_in_background(version)
        return index, version

    def _build(self, version: int) -> SuggestionIndex:
        return build_index(version, store.serving_model(version),
                           table=self.app.config.get("SUGGESTIONS_TOP_K_TABLE", True))

    def _refit_in_background(self, version: int) -> None:
        with self._lock:
            if self._refitting is not None and self._refitting.is_alive():
                return
            self._refitting = threading.Thread(target=self._refit, args=(version,), daemon=True,
                                               name="spread-refit")
            self._refitting.start()

    def _refit(self, version: int) -> None:
        with self.app.app_context():
            try:
                index = self._build(version)
            except Exception:  # a failed refit must not take suggestions down
                logger.exception("background refit failed")
                return
            finally:
                db.session.remove()
        with self._lock:
            old = self._index
            if old is None or (old.version, old.fitted_at) < (index.version, index.fitted_at):
                self._index = index

    def wait_for_refit(self, timeout: float | None = None) -> None:
        """Block until background index builds and fits are done (for tests and benchmarks)."""
        thread = self._refitting
        if thread is not None:
            thread.join(timeout)
        with self.app.app_context():
            store.wait_for_fits(timeout)


def engine() -> SuggestionEngine:
    """The suggestion engine of the current app."""
    return current_app.extensions[EXTENSION_KEY]


def register_suggestions(app: Flask) -> None:
    """Give the app its suggestion engine (and a fresh model-store state)."""
    app.extensions[EXTENSION_KEY] = SuggestionEngine(app)
    store.reset_state(app)
