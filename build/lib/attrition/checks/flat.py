"""Flat-table feature columns that must hold numbers, for training and scoring alike.

A feature column not listed as categorical must hold numbers when

- the model was trained with numbers there (``FlatSpec.numeric``, set when scoring), or
- some of its values are numbers (a mixed column: text among numbers is a typo, a
  placeholder such as ``"n/a"``, or a category that belongs in ``data.categorical``).

Every text value in such a column is a ``type`` problem naming the column, the row id
and the value. A column of text only (and not numeric at training) stays a text feature.
Called by :func:`attrition.validation.validate_flat`.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from attrition.checks.timeline import TableCheck
from attrition.coercion import parse_numbers, plain_values
from attrition.contracts import Column


def numeric_columns(names: Iterable[str], categorical: Iterable[str]) -> tuple[Column, ...]:
    """Table columns for the features that may be checked, so problems can show values."""
    skip = set(categorical)
    return tuple(Column(n, "float", optional=True, nullable=True) for n in names if n not in skip)


def check_flat_numbers(
    check: TableCheck,
    raw: pd.DataFrame,
    names: Iterable[str],
    *,
    categorical: Iterable[str],
    numeric: Iterable[str],
) -> None:
    """Add a ``type`` problem per feature column with text where numbers belong."""
    skip, trained = set(categorical), set(numeric)
    for name in names:
        values = raw[name] if name not in skip and name in raw.columns else None
        if not isinstance(values, pd.Series) or pd.api.types.is_bool_dtype(values.dtype):
            continue  # categorical, absent, duplicated (reported already) or bools
        num, bad = parse_numbers(plain_values(values))
        if not bad.any():
            continue
        if name in trained:
            expected = (
                "a number (or an empty cell), as in the table the model was trained on; "
                "if the column is a category, list it in data.categorical and retrain"
            )
        elif num.notna().any():
            expected = (
                "a number (or an empty cell), like the column's other values; if the "
                "column is a category, list it in data.categorical"
            )
        else:
            continue
        check.add(
            name,
            "type",
            expected,
            np.asarray(bad, dtype=bool),
            value_col=name,
        )
