"""Full top-10 table for n takers x n givers: time and peak memory.

Targets: n = 20,000: transform + table < 10 s, peak RSS < 2 GB; n = 100,000: table < 120 s,
peak RSS < 4 GB. With the default model the table is the sketch shortlist (40 per taker) then
the exact re-rank, as soon as there are more than 10,000 givers.

Usage::

    .venv/bin/python benchmarks/top_k_table.py [--n 20000]
    .venv/bin/python benchmarks/top_k_table.py --n 100000
"""

import argparse
import os
import time

from _common import peak_rss_mb

from matching import SimilarityModel
from matching.synthetic import make_profiles


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=20_000)
    args = ap.parse_args()
    takers = make_profiles(args.n, random_state=1, side="taker")
    givers = make_profiles(args.n, random_state=2, side="giver")
    load_before = os.getloadavg()[0]
    t0 = time.perf_counter()
    model = SimilarityModel().fit(takers + givers)
    t1 = time.perf_counter()
    c1 = time.process_time()
    tf, gf = model.transform(takers), model.transform(givers)
    t2 = time.perf_counter()
    c2 = time.process_time()
    idx, _scores = model.top_k_features(tf, gf, k=10)
    t3 = time.perf_counter()
    c3 = time.process_time()
    assert idx.shape == (args.n, 10)
    print(f"fit on {2 * args.n:,} profiles: {t1 - t0:.1f} s")
    print(f"transform {args.n:,} + {args.n:,} profiles: {t2 - t1:.2f} s (CPU {c2 - c1:.2f} s)")
    print(f"top-10 table {args.n:,} x {args.n:,} on precomputed features: {t3 - t2:.2f} s "
          f"(CPU {c3 - c2:.2f} s, BLAS uses all cores)")
    print(f"transform + table: {t3 - t1:.2f} s; peak RSS {peak_rss_mb():.0f} MiB; "
          f"load average before/after {load_before:.1f}/{os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
