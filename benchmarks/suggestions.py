"""Suggestions for one profile among 100,000 on the other side (warm latency).

Usage::

    .venv/bin/python benchmarks/suggestions.py [--n 100000] [--queries 200]
"""

import argparse
import os
import time

import _common  # noqa: F401
import numpy as np

from matching import SimilarityModel
from matching.synthetic import make_profiles


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--queries", type=int, default=200)
    args = ap.parse_args()
    givers = make_profiles(args.n, random_state=1, side="giver")
    takers = make_profiles(args.queries, random_state=2, side="taker")
    t0 = time.perf_counter()
    model = SimilarityModel().fit(givers[:20_000] + takers)
    t1 = time.perf_counter()
    c1 = time.process_time()
    giver_feats = model.transform(givers)  # precomputed once, reused per request
    t2 = time.perf_counter()
    c2 = time.process_time()
    print(f"fit on 20,000 + {args.queries} profiles: {t1 - t0:.1f} s; "
          f"transform {args.n:,} givers: {t2 - t1:.1f} s (CPU {c2 - c1:.1f} s); "
          f"load average {os.getloadavg()[0]:.1f}")
    times = []
    for i, taker in enumerate(takers):
        s = time.perf_counter()
        q = model.transform([taker])  # the request: one profile, fresh text
        idx, _scores = model.top_k_features(q, giver_feats, k=10, exclude_same_organisation=True)
        times.append(time.perf_counter() - s)
        if i == 0:
            top = model.explain(taker, givers[idx[0, 0]])
    times = np.array(times[5:]) * 1000  # first few are warm-up
    print(f"one taker vs {args.n:,} givers, top-10 (transform + score + select): "
          f"median {np.median(times):.1f} ms, p95 {np.percentile(times, 95):.1f} ms "
          f"over {times.size} queries")
    print(f"example explain: {top}")


if __name__ == "__main__":
    main()
