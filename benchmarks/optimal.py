"""optimal_pairing on 5,000 takers x 2,000 givers with capacities 1-3.

Usage::

    .venv/bin/python benchmarks/optimal.py
"""

import time

import _common  # noqa: F401
import numpy as np
from scipy.optimize import linear_sum_assignment

from matching import optimal_pairing


def main():
    rng = np.random.default_rng(0)
    n_t, n_g = 5000, 2000
    S = rng.random((n_t, n_g))
    caps = rng.integers(1, 4, n_g)
    allowed = rng.random((n_t, n_g)) > 0.05
    t0 = time.perf_counter()
    pairs = optimal_pairing(S, caps, allowed=allowed, min_score=0.0)
    t_ours = time.perf_counter() - t0
    expanded = np.where(allowed, S, 0.0)[:, np.repeat(np.arange(n_g), caps)]
    t0 = time.perf_counter()
    rows, cols = linear_sum_assignment(expanded, maximize=True)
    t_bare = time.perf_counter() - t0
    total = sum(S[t, g] for t, g in pairs)
    bare_total = expanded[rows, cols].sum()
    print(f"optimal_pairing {n_t} x {n_g}, capacities 1-3 ({caps.sum()} slots): "
          f"{t_ours:.2f} s, {len(pairs)} pairs, total fit {total:.3f}")
    print(f"bare linear_sum_assignment on the expanded {expanded.shape} matrix: "
          f"{t_bare:.2f} s, total {bare_total:.3f}; ratio ours/bare {t_ours / t_bare:.2f}")
    assert abs(total - bare_total) < 1e-6


if __name__ == "__main__":
    main()
