"""Which columns of a flat table can be features: screened before training.

A table brought by a data scientist (a churn or HR-attrition extract) carries columns
that are not features: its dates, its identifiers and names, columns with one value or
none. Training on them either fails deep inside a model or, worse, learns nothing but
noise. :func:`screen_flat_features` reads the typed table once:

- a column of **dates** (text that reads as dates, or timestamps) is refused: a date is
  not a feature; one derived from it is (days since, a month, a weekday);
- a column of **text with a different value in (nearly) every row** (an identifier, a
  name, an e-mail; 90% of its values distinct) is refused: it cannot generalise, and
  may be personal data;
- a column with **one value** in every row, or **no value at all**, is dropped and named;
- the other **text columns** are categorical features, those not listed in
  ``data.categorical`` are named as detected.

Refusals are :class:`~attrition.errors.Problem` rows, all at once, naming the column and
a few of its values; the screen itself says what was dropped and detected.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from attrition.contracts import FlatSpec
from attrition.errors import Problem

# a text column is a date column when this share of its values read as dates
DATE_SHARE = 0.95
# ... and an identifier when this share of its values differ, in at least this many rows
# (an id column with a few repeats, such as a person's second spell, is still an id)
ID_SHARE = 0.9
ID_MIN_ROWS = 20


@dataclass(frozen=True)
class FeatureScreen:
    """The features kept, in table order, and what the screen did to the others."""

    features: list[str]
    categorical: list[str]  # text features: listed in data.categorical, or detected
    detected: list[str] = field(default_factory=list)  # text features not listed
    constant: list[str] = field(default_factory=list)  # dropped: one value in every row
    empty: list[str] = field(default_factory=list)  # dropped: no value in any row

    def lines(self) -> list[str]:
        """What a data scientist reads after training: detected and dropped columns."""
        out = []
        if self.detected:
            out.append(f"text columns used as categories: {', '.join(self.detected)}")
        if self.constant:
            out.append(f"dropped (one value in every row): {', '.join(self.constant)}")
        if self.empty:
            out.append(f"dropped (no value in any row): {', '.join(self.empty)}")
        return out


# a calendar date written with numbers (2024-03-31, 31/03/2024, 2024.3.31), maybe a time
_DATE = r"\s*\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}([ T].*)?"


def _reads_as_dates(values: pd.Series) -> bool:
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        return True
    # written dates only: month names alone ("Jan") are a category, and numbers are
    # never dates, whatever a date parser can read into them
    text = values.dropna().astype(str).head(2_000)
    looks = text.str.fullmatch(_DATE)
    if text.empty or looks.mean() < DATE_SHARE:
        return False
    parsed = pd.to_datetime(text[looks], errors="coerce", format="mixed")
    return bool(parsed.notna().sum() >= DATE_SHARE * len(text))


def _mostly_distinct(values: pd.Series) -> bool:
    return values.astype(str).nunique() >= ID_SHARE * len(values)


def screen_flat_features(
    frame: pd.DataFrame, spec: FlatSpec, *, table_name: str = "flat"
) -> tuple[FeatureScreen, list[Problem]]:
    """Screen the feature columns of a typed flat table (from
    :func:`attrition.validation.validate_flat`) for training; see the module doc."""
    reserved = {spec.id, spec.duration, spec.event}
    names = (
        list(spec.features)
        if spec.features is not None
        else [c for c in frame.columns if c not in reserved]
    )
    problems: list[Problem] = []
    kept, categorical, detected, constant, empty = [], [], [], [], []
    for name in names:
        values = frame[name]
        present = values.dropna()
        examples = tuple(str(v) for v in present.head(3))
        text = not pd.api.types.is_numeric_dtype(values.dtype)
        if present.empty:
            empty.append(name)
        elif text and _reads_as_dates(values):
            problems.append(
                Problem(
                    table_name,
                    name,
                    "not_a_feature",
                    "a feature, not a date: derive one from it (days since, month, "
                    "weekday) or leave it out with data.features",
                    int(present.size),
                    examples,
                )
            )
        elif text and present.size >= ID_MIN_ROWS and _mostly_distinct(present):
            problems.append(
                Problem(
                    table_name,
                    name,
                    "not_a_feature",
                    "a feature, not a different value in (nearly) every row (an "
                    "identifier or a name cannot generalise): leave it out with "
                    "data.features",
                    int(present.size),
                    examples,
                )
            )
        elif present.nunique() == 1:
            constant.append(name)
        else:
            kept.append(name)
            if text or name in spec.categorical:
                categorical.append(name)
                if name not in spec.categorical:
                    detected.append(name)
    return FeatureScreen(kept, categorical, detected, constant, empty), problems
