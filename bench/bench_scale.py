"""A bank of any size: the feature engine whole-bank vs over partitions of clients.

Issue 17's figures, first part: point-in-time features (clients, then RMs) for one
as-of month on banks of 100k and 1M clients, computed by the pandas engine over the
whole bank (``partitions=1``, as before) and over partitions of clients
(``build_features(..., partitions=P)``: per-partition panels, the cross-entity sums
and peer medians reduced once and joined back). Each case runs in a fresh process that
loads the bank written beforehand; "peak MB" is that process's maximum resident set,
so it includes the loaded tables. The two frames are checked equal (floats to 1e-9)
in the same run.

The banks are ``bench_features.py``'s: the 100k bank generated, the 1M bank that bank
tiled 10 times with renamed ids and without ``transactions`` (the raw table does not
fit in memory beside the rest here; reading it per partition from Parquet is the next
step of the issue).

Usage: python bench/bench_scale.py [--sizes 100000 1000000] [--partitions 8]
"""

from __future__ import annotations

import argparse

from _harness import header, run_case, table
from bench_features import MAKE, OUT, TILE

RUN = """
import time
import numpy as np, pandas as pd
from attrition.io import load_bank
from attrition.features import build_features
t0 = time.perf_counter()
data = load_bank({src!r})
t1 = time.perf_counter()
as_of = data.last_month - 1
X = build_features(data, "client", as_of, partitions={p})
t2 = time.perf_counter()
R = build_features(data, "rm", as_of, partitions={p})
t3 = time.perf_counter()
X.to_parquet({out!r} + "_client.parquet"); R.to_parquet({out!r} + "_rm.parquet")
__result.update(load_s=t1 - t0, client_s=t2 - t1, rm_s=t3 - t2, n_clients=len(X),
                n_rms=len(R), balance_rows=len(data["monthly_balances"]),
                transaction_rows=len(data.tables.get("transactions", [])))
"""

SAME = """
import numpy as np, pandas as pd
worst = 0.0
for entity in ("client", "rm"):
    a = pd.read_parquet({a!r} + f"_{{entity}}.parquet")
    b = pd.read_parquet({b!r} + f"_{{entity}}.parquet")
    pd.testing.assert_frame_equal(a, b, rtol=1e-9, atol=1e-9)
    num = a.select_dtypes("number")
    diff = np.abs(num.to_numpy() - b[num.columns].to_numpy())
    worst = max(worst, float(np.nanmax(diff, initial=0.0)))
__result.update(max_abs_diff=worst)
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    ap.add_argument("--partitions", type=int, default=8)
    args = ap.parse_args()
    OUT.mkdir(exist_ok=True)
    header("A bank of any size: whole-bank vs partitioned pandas engine")
    rows = []
    for n in args.sizes:
        src = OUT / f"bank_{n}"
        if n > 100_000:
            base = OUT / "bank_100000"
            run_case(MAKE.format(out=str(base), n=100_000))
            run_case(
                TILE.format(
                    src=str(base), out=str(src), copies=n // 100_000, skip=("transactions",)
                )
            )
        else:
            run_case(MAKE.format(out=str(src), n=n))
        outs = {}
        for p in (1, args.partitions):
            out = str(OUT / f"scale_{n}_p{p}")
            r = run_case(RUN.format(src=str(src), p=p, out=out))
            outs[p] = out
            features_s = r["client_s"] + r["rm_s"]
            rows.append(
                {
                    "clients (start)": n,
                    "balance rows": r["balance_rows"],
                    "transactions": r["transaction_rows"],
                    "engine": "whole bank" if p == 1 else f"{p} partitions",
                    "load+validate s": r["load_s"],
                    "client features s": r["client_s"],
                    "RM features s": r["rm_s"],
                    "rows/s per core": f"{r['n_clients'] / features_s / 2:,.0f}",
                    "peak MB (load + features)": r["peak_rss_mb"],
                    "max abs diff vs whole": "",
                }
            )
        same = run_case(SAME.format(a=outs[1], b=outs[args.partitions]))
        rows[-1]["max abs diff vs whole"] = f"{same['max_abs_diff']:.1e}"
    print("One as-of month; rows/s per core = scored clients / (client + RM seconds) / 2.\n")
    table(rows, list(rows[0]))


if __name__ == "__main__":
    main()
