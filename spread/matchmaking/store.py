"""The model store: model versions (parameters, learned weights) and fitted models as rows.

``match_models`` holds one row per model version; exactly one is ``current``. A fitted model
(the current version fitted on the active profiles of one profiles version) is kept in
``fitted_models`` as a compressed pickle, so every process and host loads the same fitted model
instead of fitting its own. :func:`current_fitted_model` loads it (or fits and stores it when
missing); :func:`serving_model` is what the suggestions use: it never fits on the request path
when some fitted model is stored, it serves the newest one and asks :func:`request_fit` for the
current profiles version. :func:`request_fit` is the one entry point for fitting in the
background: a task of the queue's worker (a thread when the queue runs tasks at once).
"""
from __future__ import annotations

import logging
import pickle
import threading
import zlib
from dataclasses import dataclass

from flask import Flask, current_app
from sqlalchemy import event, func, insert, select, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from matching import SimilarityModel
from spread.extensions import db
from spread.matchmaking.adapter import active_profiles, profiles_to_matching
from spread.models import FittedModel, MatchModel, MatchModelStatus, User
from spread.models.base import utcnow
from spread.models.match_model import DEFAULT_MODEL_NOTE
from spread.models.matching_state import bump_profiles_version, profiles_version

logger = logging.getLogger(__name__)

COMPRESSION_LEVEL = 3
STATE_KEY = "spread_model_store"
#: Loaded fitted models kept per process (the newest few).
LOADED_CACHE_SIZE = 2
#: Marks a fit handed to the task queue (in ``StoreState.fits`` instead of a thread).
QUEUED = object()
#: Set in a session's ``info`` once it has flushed writes in its current transaction.
WROTE = "spread_wrote"


@event.listens_for(Session, "after_flush")
def _remember_writes(session, flush_context) -> None:
    session.info[WROTE] = True


@event.listens_for(Session, "after_transaction_end")
def _forget_writes(session, transaction) -> None:
    if transaction.parent is None:  # the outermost transaction ended (commit or rollback)
        session.info.pop(WROTE, None)


@dataclass
class LoadedModel:
    """A fitted model with the model version it belongs to and the profiles it was fitted on."""

    model: SimilarityModel
    model_id: int
    model_version: int
    profiles_version: int


class StoreState:
    """Per-app state: the fits under way and the fitted models loaded in this process."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.fits: dict[tuple[int, int], threading.Thread | object] = {}
        #: (fitted model row id, its creation time) -> the loaded model
        self.loaded: dict[tuple, LoadedModel] = {}


def reset_state(app: Flask) -> None:
    """Forget what this process loaded and stored (a fresh start, e.g. a new database)."""
    app.extensions[STATE_KEY] = StoreState()


def _state(app: Flask | None = None) -> StoreState:
    app = app or current_app._get_current_object()
    return app.extensions.setdefault(STATE_KEY, StoreState())


# -- model versions -----------------------------------------------------------------------------

def current_model_row() -> MatchModel:
    """The current model version; version 1 (library defaults) is created when there is none."""
    row = db.session.scalar(select(MatchModel).where(
        MatchModel.status == MatchModelStatus.CURRENT.value).order_by(MatchModel.version.desc()))
    if row is not None:
        return row
    try:
        _insert_soon(insert(MatchModel).values(
            version=_next_version(),
            params={}, weights=None, status=MatchModelStatus.CURRENT.value,
            created_at=utcnow(), note=DEFAULT_MODEL_NOTE))
    except IntegrityError:  # another process created it at the same moment
        pass
    return db.session.scalar(select(MatchModel).where(
        MatchModel.status == MatchModelStatus.CURRENT.value).order_by(MatchModel.version.desc()))


def _next_version() -> int:
    return 1 + (db.session.scalar(select(func.max(MatchModel.version))) or 0)


def add_model_version(params: dict | None = None, weights: dict | None = None,
                      created_by: User | None = None, trained_on: dict | None = None,
                      evaluation: dict | None = None, note: str | None = None) -> MatchModel:
    """Record a candidate model version (flush only); :func:`promote` makes it current."""
    row = MatchModel(version=_next_version(), params=params or {}, weights=weights,
                     status=MatchModelStatus.CANDIDATE.value,
                     created_by_id=created_by.id if created_by else None,
                     trained_on=trained_on, evaluation=evaluation, note=note)
    db.session.add(row)
    db.session.flush()
    return row


def promote(row: MatchModel) -> MatchModel:
    """Make a model version current (the previous one is retired); flush only.

    Counts as a profile change, so every process rebuilds its suggestions with it.
    """
    db.session.execute(update(MatchModel).where(
        MatchModel.status == MatchModelStatus.CURRENT.value, MatchModel.id != row.id
    ).values(status=MatchModelStatus.RETIRED.value).execution_options(synchronize_session=False))
    row.status = MatchModelStatus.CURRENT.value
    db.session.flush()
    bump_profiles_version()
    logger.info("model version %s is current", row.version)
    return row


def new_estimator(row: MatchModel) -> SimilarityModel:
    """An unfitted model with the version's parameters and learned weights."""
    params = dict(row.params or {})
    if "char_ngram_range" in params:  # JSON has no tuples
        params["char_ngram_range"] = tuple(params["char_ngram_range"])
    params.update(row.weights or {})
    return SimilarityModel(**params)


# -- fitted models ------------------------------------------------------------------------------

def dumps(model: SimilarityModel) -> bytes:
    """A fitted model as a compressed pickle."""
    return zlib.compress(pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL), COMPRESSION_LEVEL)


def loads(blob: bytes) -> SimilarityModel:
    """The fitted model of :func:`dumps` (the database is trusted like the code)."""
    return pickle.loads(zlib.decompress(blob))


def fit_current(version: int) -> tuple[LoadedModel, int]:
    """Fit the current model version on the active profiles (nothing stored); and their count."""
    row = current_model_row()
    dicts = profiles_to_matching(active_profiles())
    model = new_estimator(row).fit(dicts if dicts else [{"text": ""}])
    logger.info("fitted model version %s at profiles version %s", row.version, version)
    return LoadedModel(model, row.id, row.version, version), len(dicts)


def store_fit(loaded: LoadedModel, n_profiles: int = 0) -> None:
    """Keep a fitted model in the database (a duplicate of another process's is dropped)."""
    blob = dumps(loaded.model)
    try:
        _insert_soon(insert(FittedModel).values(
            model_id=loaded.model_id, profiles_version=loaded.profiles_version,
            n_profiles=n_profiles, blob=blob, created_at=utcnow()))
    except IntegrityError:  # another process stored the same fit first
        logger.info("fit of model %s at %s was stored elsewhere", loaded.model_version,
                    loaded.profiles_version)
        return
    except OperationalError:  # e.g. SQLite busy: the fit still serves this process
        logger.exception("could not store the fitted model")
        return
    logger.info("stored model version %s fitted at profiles version %s (%s bytes)",
                loaded.model_version, loaded.profiles_version, len(blob))


def _insert_soon(statement) -> None:
    """Insert in a transaction of its own, or, when this session has written already, in a
    savepoint of the session's transaction (it is stored when the caller commits).

    On SQLite a second connection would wait for the session's write lock until it timed out.
    """
    if db.session.info.get(WROTE):
        with db.session.begin_nested():
            db.session.execute(statement)
        return
    with db.engine.begin() as connection:
        connection.execute(statement)


def _remember(state: StoreState, key: tuple, loaded: LoadedModel) -> None:
    state.loaded[key] = loaded
    while len(state.loaded) > LOADED_CACHE_SIZE:
        state.loaded.pop(next(iter(state.loaded)))


def stored_fit(model_id: int, version: int, exact: bool = True) -> LoadedModel | None:
    """The stored fit of a model at ``version`` (``exact=False``: the newest at or before it)."""
    row = db.session.scalar(select(MatchModel).where(MatchModel.id == model_id))
    if row is None:
        return None
    query = select(FittedModel.id, FittedModel.created_at, FittedModel.profiles_version).where(
        FittedModel.model_id == model_id)
    query = query.where(FittedModel.profiles_version == version) if exact else query.where(
        FittedModel.profiles_version <= version)
    found = db.session.execute(query.order_by(FittedModel.profiles_version.desc())).first()
    if found is None:
        return None
    state = _state()
    key = (found.id, found.created_at)
    cached = state.loaded.get(key)
    if cached is not None:
        return cached
    blob = db.session.scalar(select(FittedModel.blob).where(FittedModel.id == found.id))
    try:
        loaded = LoadedModel(loads(blob), row.id, row.version, found.profiles_version)
    except Exception:  # a pickle of an older library version: fit again instead
        logger.exception("stored fit %s could not be loaded", found.id)
        return None
    with state.lock:
        _remember(state, key, loaded)
    return loaded


def current_fitted_model(version: int | None = None) -> LoadedModel:
    """The current model version fitted at the profiles version: loaded, or fitted and stored."""
    version = profiles_version() if version is None else version
    row = current_model_row()
    loaded = stored_fit(row.id, version)
    if loaded is None:
        loaded, n_profiles = fit_current(version)
        store_fit(loaded, n_profiles)
    return loaded


def serving_model(version: int) -> LoadedModel:
    """The fitted model to serve suggestions at ``version``, never fitted here when one is stored.

    The fit at ``version`` when stored; else the newest stored fit of the current model version
    while :func:`request_fit` fits the newer one; else (nothing stored yet) fitted and stored now.
    """
    row = current_model_row()
    loaded = stored_fit(row.id, version, exact=False)
    if loaded is None:
        return current_fitted_model(version)
    if loaded.profiles_version < version:
        request_fit(version)
    return loaded


def newest_stored(model_id: int) -> int | None:
    """The newest profiles version the model has a stored fit for, from any process (None:
    none stored)."""
    return db.session.scalar(select(func.max(FittedModel.profiles_version))
                             .where(FittedModel.model_id == model_id))


def request_fit(version: int) -> None:
    """Fit the current model version at ``version`` and store it, in the background.

    The one entry point for background fits: the task queue's worker fits it (every web process
    then loads the stored fit); with the queue in immediate mode (tests, no worker) a thread of
    this process does. A second request for the same fit from this process does nothing.
    """
    from spread.queue import huey

    app = current_app._get_current_object()
    state = _state(app)
    key = (current_model_row().id, version)
    with state.lock:
        running = state.fits.get(key)
        if running is not None and (running is QUEUED or running.is_alive()):
            return
        if not huey.immediate:
            from spread.jobs.models import fit_model

            fit_model(version)
            state.fits[key] = QUEUED
            return
        thread = threading.Thread(target=_fit_in_background, args=(app, version), daemon=True,
                                  name=f"spread-fit-{version}")
        state.fits[key] = thread
        thread.start()


def _fit_in_background(app: Flask, version: int) -> None:
    with app.app_context():
        try:
            current_fitted_model(version)
        except Exception:  # a failed fit must not take suggestions down
            logger.exception("background fit at profiles version %s failed", version)
        finally:
            db.session.remove()


def wait_for_fits(timeout: float | None = None) -> None:
    """Block until the background fits of this app's threads are done (tests, benchmarks)."""
    for thread in list(_state().fits.values()):
        if thread is not QUEUED:
            thread.join(timeout)
