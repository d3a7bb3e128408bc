"""Naming sources: paths versus SQLAlchemy URLs, and how to show them without secrets."""

from __future__ import annotations

import os
from pathlib import Path

import sqlalchemy as sa


def is_url(source: str | os.PathLike[str]) -> bool:
    """True when ``source`` is a SQLAlchemy URL rather than a path (it contains ``://``)."""
    return isinstance(source, str) and "://" in source


def describe_source(source: str | os.PathLike[str]) -> str:
    """The source as it may be shown to people and written to logs: passwords masked.

    Parameters
    ----------
    source : str or path-like
        A directory, a file or a SQLAlchemy URL.

    Returns
    -------
    str
    """
    if not is_url(source):
        return str(Path(source))
    try:
        return sa.make_url(str(source)).render_as_string(hide_password=True)
    except sa.exc.ArgumentError:
        # An unparseable URL may still hold a password; show only its scheme.
        return str(source).split("://", 1)[0] + "://..."
