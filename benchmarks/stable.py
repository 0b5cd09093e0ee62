"""stable_pairing versus the hospital-resident solver of PyPI ``matching==1.4.3``.

1,000 takers (residents) x 400 givers (hospitals) x capacity 3, top-20
preference lists derived from random scores; each giver ranks exactly the
takers that listed it (by score), as the package requires. The package runs
in its own venv (benchmarks/.venv-matching-1.4.3, created if missing) in a
subprocess outside the repository, because its import name clashes with ours.

Usage::

    .venv/bin/python benchmarks/stable.py
"""

import json
import subprocess
import sys
import tempfile
import time

import numpy as np
from _common import ROOT

from matching import stable_pairing

VENV = ROOT / "benchmarks" / ".venv-matching-1.4.3"
PKG_PY = VENV / "bin" / "python"
# The package deep-copies its linked player objects: it needs a raised
# recursion limit (and a big thread stack) even for top-20 lists.
RECURSION_LIMIT = 20_000

RUNNER = r"""
import json, sys, threading, time
from matching.games import HospitalResident
inst = json.load(sys.stdin)
sys.setrecursionlimit(inst["recursion_limit"])
threading.stack_size(512 * 1024 * 1024)
r = {str(t): [str(g) for g in lst] for t, lst in enumerate(inst["taker_prefs"])}
h = {str(g): [str(t) for t in lst] for g, lst in enumerate(inst["giver_prefs"])}
c = {str(g): int(k) for g, k in enumerate(inst["capacities"])}
out = {}


def run():
  t0 = time.perf_counter()
  try:
    game = HospitalResident.create_from_dictionaries(r, h, c)
    m = game.solve(optimal="resident")
    pairs = sorted((int(res.name), int(hos.name)) for hos, rs in m.items() for res in rs)
    out.update(seconds=time.perf_counter() - t0, pairs=pairs)
  except RecursionError as exc:
    out.update(seconds=time.perf_counter() - t0, error="RecursionError: " + str(exc)[:80])


worker = threading.Thread(target=run)
worker.start()
worker.join()
json.dump(out, sys.stdout)
"""


def ensure_venv():
    if not PKG_PY.exists():
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
        subprocess.run([str(PKG_PY), "-m", "pip", "install", "-q", "matching==1.4.3"],
                       check=True)


def run_package(instance, recursion_limit=RECURSION_LIMIT):
    instance = {**instance, "recursion_limit": recursion_limit}
    with tempfile.TemporaryDirectory() as tmp:
        proc = subprocess.run([str(PKG_PY), "-c", RUNNER], input=json.dumps(instance),
                              capture_output=True, text=True, cwd=tmp, check=True)
    return json.loads(proc.stdout)


def instance(S, caps, top):
    _n_t, n_g = S.shape
    order = np.argsort(-S, axis=1, kind="stable")[:, :top]
    taker_prefs = order.tolist()
    listed = [[] for _ in range(n_g)]
    for t, lst in enumerate(taker_prefs):
        for g in lst:
            listed[g].append(t)
    giver_prefs = [sorted(ts, key=lambda t, g=g: (-S[t, g], t)) for g, ts in enumerate(listed)]
    return {"taker_prefs": taker_prefs, "giver_prefs": giver_prefs,
            "capacities": caps.tolist()}


def timed(fn, repeat=5):
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def main():
    ensure_venv()
    rng = np.random.default_rng(0)
    n_t, n_g, cap = 1000, 400, 3
    S = rng.random((n_t, n_g))
    caps = np.full(n_g, cap)

    inst = instance(S, caps, top=20)
    t_ours, ours = timed(lambda: stable_pairing(
        S, caps, taker_prefs=inst["taker_prefs"], giver_prefs=inst["giver_prefs"]))
    pkg = run_package(inst)
    same = [list(p) for p in ours] == pkg["pairs"]
    print(f"top-20 lists, {n_t} takers x {n_g} givers x capacity {cap}:")
    print(f"  ours {t_ours * 1000:.1f} ms, matching==1.4.3 {pkg['seconds'] * 1000:.0f} ms: "
          f"{pkg['seconds'] / t_ours:.0f}x faster; {len(ours)} pairs; same pairs: {same}")
    assert same, "the two solvers disagree"

    full = instance(S, caps, top=n_g)
    t_full, ours_full = timed(lambda: stable_pairing(S, caps), repeat=3)
    t_lists, ours_lists = timed(lambda: stable_pairing(
        S, caps, taker_prefs=full["taker_prefs"], giver_prefs=full["giver_prefs"]), repeat=3)
    assert ours_full == ours_lists
    pkg_default = run_package(full, recursion_limit=sys.getrecursionlimit())
    print(f"  matching==1.4.3 at Python's default recursion limit: "
          f"{pkg_default.get('error', 'ok')}")
    pkg_full = run_package(full)
    print("full lists, same size:")
    print(f"  ours {t_full * 1000:.0f} ms from S, {t_lists * 1000:.0f} ms from explicit lists; "
          f"{len(ours_full)} pairs")
    if "error" in pkg_full:
        print(f"  matching==1.4.3 fails after {pkg_full['seconds']:.1f} s: {pkg_full['error']}")
    else:
        print(f"  matching==1.4.3 {pkg_full['seconds']:.1f} s, same pairs: "
              f"{[list(p) for p in ours_full] == pkg_full['pairs']}")


if __name__ == "__main__":
    main()
