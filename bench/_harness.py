"""Run one benchmark case in a fresh process and report its wall time and peak memory.

A fresh process per case keeps one case's memory out of the next one's peak.
"""

from __future__ import annotations

import json
import platform
import subprocess
import sys
import textwrap
from datetime import date


def run_case(code: str, *, timeout: float = 1800) -> dict:
    """Run ``code`` in a new interpreter; it must print one JSON object on its last line.

    The harness adds ``peak_rss_mb`` (the child's maximum resident set size).
    """
    wrapper = textwrap.dedent(
        """
        import json, resource, sys, time, warnings
        warnings.filterwarnings("ignore")
        __result = {}
        exec(compile(sys.stdin.read(), "<case>", "exec"))
        __result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps(__result))
        """
    )
    proc = subprocess.run(
        [sys.executable, "-c", wrapper],
        input=code,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"benchmark case failed:\n{proc.stderr[-4000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def machine() -> str:
    import os

    mem_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    cpu = f"{platform.machine()}, {os.cpu_count()} cores, {mem_gb:.0f} GiB"
    return f"{cpu}, Python {platform.python_version()}"


def header(title: str) -> None:
    print(f"# {title}\n{date.today().isoformat()} on {machine()}\n")


def table(rows: list[dict], columns: list[str]) -> None:
    """Print rows as a Markdown table (paste into BENCHMARKS.md as is)."""
    print("| " + " | ".join(columns) + " |")
    print("|" + "|".join("---" for _ in columns) + "|")
    for r in rows:
        cells = []
        for c in columns:
            v = r.get(c, "")
            if isinstance(v, float):
                cells.append(f"{v:.3f}" if abs(v) < 10 else f"{v:,.1f}")
            else:
                cells.append(f"{v:,}" if isinstance(v, int) else str(v))
        print("| " + " | ".join(cells) + " |")
    print()
