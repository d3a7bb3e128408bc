"""Synthetic bank: time to simulate and write every contract table.

Target (issue 2): 100k clients with all tables in under 2 minutes on a 2-core machine.
The same-run comparison is the cost of simply writing the same tables with pandas
(``DataFrame.to_parquet`` per table), i.e. how much the simulation adds on top of I/O.

Usage: python bench/bench_generate.py [--sizes 10000 100000]
"""

from __future__ import annotations

import argparse

from _harness import header, run_case, table

CASE = """
import tempfile, time
from pathlib import Path
from attrition.synthetic import generate_bank, write_bank
t0 = time.perf_counter()
bank = generate_bank({n}, seed=1)
t1 = time.perf_counter()
with tempfile.TemporaryDirectory() as d:
    write_bank(bank, Path(d) / "bank")
    t2 = time.perf_counter()
    for name, frame in bank.data.tables.items():
        frame.to_parquet(Path(d) / f"plain_{{name}}.parquet", index=False)
    t3 = time.perf_counter()
__result.update(simulate_s=t1 - t0, write_s=t2 - t1, plain_write_s=t3 - t2,
                rows=sum(len(f) for f in bank.data.tables.values()))
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    args = ap.parse_args()
    header("Synthetic bank generation (attrition generate)")
    rows = []
    for n in args.sizes:
        r = run_case(CASE.format(n=n))
        total = r["simulate_s"] + r["write_s"]
        rows.append(
            {
                "clients": n,
                "rows (all tables)": r["rows"],
                "simulate s": r["simulate_s"],
                "write s": r["write_s"],
                "total s": total,
                "plain pandas write s": r["plain_write_s"],
                "total / plain write": f"{total / r['plain_write_s']:.1f}x",
                "peak MB": r["peak_rss_mb"],
                "target": "< 120 s" if n == 100_000 else "",
            }
        )
    table(rows, list(rows[0]))


if __name__ == "__main__":
    main()
