"""The ``attrition`` command line: data, models, scoring and the demo.

Heavy imports happen inside commands so that ``attrition --help`` stays fast. Each
module registers its commands on the one Typer ``app`` (in command-list order).
"""

from __future__ import annotations

from attrition.cli import data, demo, models, plan, reports, scoring, store  # noqa: F401
from attrition.cli._app import app

__all__ = ["app"]
