"""A generic container of monthly feature sequences, for sequence survival models.

:mod:`survival` knows nothing about banks, so it cannot take the feature engine's
``SequenceBatch``; the composition root converts one into a :class:`SequenceFrame`
(``SequenceFrame.from_arrays(batch.values, batch.mask, batch.index, ...)``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from survival.base import SurvivalDataError


@dataclass(frozen=True, eq=False)
class SequenceFrame:
    """Per-entity month-by-month features, left-padded, with optional static columns
    and labels.

    Attributes
    ----------
    values : numpy.ndarray of float32, shape (n, T, F)
        Step ``-1`` is the most recent month. NaN marks a missing value (and fills
        padded steps).
    mask : numpy.ndarray of bool, shape (n, T)
        True where a month has data; padding is on the left (short histories start
        with False steps). A row may be all False (no history).
    index : pandas.Index, length n
        One unique id per row (entity, or entity and as-of date); prediction frames
        use it as their index.
    feature_names : tuple of str, length F
    static : pandas.DataFrame or None
        Features that do not vary by month (numeric or categorical, NaN allowed), rows
        aligned with ``index``.
    labels : pandas.DataFrame or None
        Durations and events (any columns), rows aligned with ``index``.

    Raises
    ------
    SurvivalDataError
        From ``__post_init__`` when shapes, dtypes or indexes disagree.
    """

    values: np.ndarray
    mask: np.ndarray
    index: pd.Index
    feature_names: tuple[str, ...]
    static: pd.DataFrame | None = None
    labels: pd.DataFrame | None = None

    def __post_init__(self) -> None:
        values, mask = self.values, self.mask
        if not isinstance(values, np.ndarray) or values.ndim != 3:
            raise SurvivalDataError(
                f"values must be a 3-D numpy array (entities, months, features), got "
                f"{type(values).__name__} of shape {getattr(values, 'shape', None)}"
            )
        if values.dtype != np.float32:
            raise SurvivalDataError(
                f"values must be float32, got {values.dtype}; use SequenceFrame.from_arrays "
                "to convert"
            )
        if not isinstance(mask, np.ndarray) or mask.dtype != np.bool_:
            raise SurvivalDataError(
                f"mask must be a numpy array of bool, got {type(mask).__name__} of dtype "
                f"{getattr(mask, 'dtype', None)}"
            )
        if mask.shape != values.shape[:2]:
            raise SurvivalDataError(
                f"mask has shape {mask.shape} but values {values.shape}; the mask needs one "
                "flag per entity and month"
            )
        if not isinstance(self.index, pd.Index) or len(self.index) != values.shape[0]:
            raise SurvivalDataError(
                f"index must be a pandas Index of {values.shape[0]} ids (one per row), got "
                f"{type(self.index).__name__} of length {len(self.index)}"
            )
        if not self.index.is_unique:
            dup = self.index[self.index.duplicated()].unique()
            raise SurvivalDataError(
                f"index has {len(dup)} duplicated id(s) (first: {[str(i) for i in dup[:5]]}); "
                "each row must be one entity (or entity and as-of date)"
            )
        if len(self.feature_names) != values.shape[2]:
            raise SurvivalDataError(
                f"feature_names has {len(self.feature_names)} names for {values.shape[2]} "
                "features in values"
            )
        for name in ("static", "labels"):
            frame = getattr(self, name)
            if frame is None:
                continue
            if not isinstance(frame, pd.DataFrame):
                raise SurvivalDataError(
                    f"{name} must be a pandas DataFrame or None, got {type(frame).__name__}"
                )
            if len(frame) != len(self.index) or not frame.index.equals(self.index):
                raise SurvivalDataError(
                    f"{name} rows are not aligned with index ({len(frame)} rows for "
                    f"{len(self.index)} ids); reindex it with frame.reindex(seq.index)"
                )

    @classmethod
    def from_arrays(
        cls,
        values: Any,
        mask: Any = None,
        index: Any = None,
        feature_names: Sequence[str] | None = None,
        *,
        static: pd.DataFrame | None = None,
        labels: pd.DataFrame | None = None,
    ) -> SequenceFrame:
        """Build a frame from array-likes, filling in defaults.

        ``values`` is converted to float32; ``mask`` defaults to "a month has data where
        any feature is not NaN"; ``index`` to ``0..n-1``; ``feature_names`` to
        ``f0, f1, ...``. ``static`` and ``labels`` are reindexed by position onto
        ``index`` when their own index differs but their length matches.
        """
        v = np.asarray(values, dtype=np.float32)
        if v.ndim != 3:
            raise SurvivalDataError(
                f"values must be 3-D (entities, months, features), got shape {v.shape}"
            )
        m = (~np.isnan(v).all(axis=2)) if mask is None else np.asarray(mask, dtype=bool)
        idx = pd.RangeIndex(v.shape[0]) if index is None else pd.Index(index)
        names = (
            tuple(f"f{j}" for j in range(v.shape[2]))
            if feature_names is None
            else tuple(feature_names)
        )

        def _align(frame: pd.DataFrame | None) -> pd.DataFrame | None:
            if frame is None or frame.index.equals(idx) or len(frame) != len(idx):
                return frame
            return frame.set_axis(idx, axis=0)

        return cls(v, m, idx, names, static=_align(static), labels=_align(labels))

    def __len__(self) -> int:
        return int(self.values.shape[0])

    @property
    def n_steps(self) -> int:
        """Sequence length T in months."""
        return int(self.values.shape[1])

    def take(self, positions: Any) -> SequenceFrame:
        """The rows at ``positions`` (integer positions or a boolean mask), in that order."""
        pos = np.asarray(positions)
        if pos.dtype == np.bool_:
            pos = np.flatnonzero(pos)
        return SequenceFrame(
            self.values[pos],
            self.mask[pos],
            self.index[pos],
            self.feature_names,
            static=None if self.static is None else self.static.iloc[pos],
            labels=None if self.labels is None else self.labels.iloc[pos],
        )

    def __getitem__(self, positions: Any) -> SequenceFrame:
        return self.take(positions)
