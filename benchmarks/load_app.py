"""The WSGI app of the load benchmark: the real app plus two benchmark-only routes.

``gunicorn load_app:app`` (with ``benchmarks/`` and the repository root on the Python path)
serves ``create_app()`` exactly as ``wsgi:app`` does, plus:

- ``GET /__hello``: a bare Flask view, the ceiling of what the stack can serve;
- ``GET /__warm``: builds this worker's suggestion index if it has none and says which worker
  answered, so the benchmark can warm every worker before it measures.

Neither route exists in the production app.

With ``SPREAD_LOAD_PRELOAD_INDEX=1`` the suggestion index is built when this module is imported:
under ``gunicorn --preload`` that is once, in the master, before it forks the workers, which then
share the index (copy-on-write) and start warm instead of each fitting for a minute. The
database connections opened for it are closed before the fork.
"""
import os
import time

import _common  # noqa: F401
from flask import jsonify

from spread import create_app
from spread.extensions import db
from spread.matchmaking.engine import engine

app = create_app()
PRELOAD_SECONDS = None
if os.environ.get("SPREAD_LOAD_PRELOAD_INDEX") == "1":
    _start = time.perf_counter()
    with app.app_context():
        engine().index()
        db.session.remove()
        db.engine.dispose()  # no connection may be shared by the forked workers
    PRELOAD_SECONDS = round(time.perf_counter() - _start, 3)


@app.get("/__hello")
def hello():
    """Answer a constant: no database, no templates."""
    return "hello"


@app.get("/__warm")
def warm():
    """Make sure this worker's suggestion index is built; report the worker and the time."""
    start = time.perf_counter()
    index = engine().index()
    return jsonify(pid=os.getpid(), profiles=index.size, version=index.version,
                   seconds=round(time.perf_counter() - start, 3), preload_seconds=PRELOAD_SECONDS)
