"""The errors every survival model and metric raises (no other dependency)."""

from __future__ import annotations


class SurvivalDataError(ValueError):
    """Survival data or inputs that a model cannot use (names the column and rows)."""


class InvalidParameterError(ValueError, TypeError):
    """A hyperparameter has a value outside its constraints."""


class ModelFormatError(ValueError):
    """A saved model file cannot be loaded by this version (or is not a model file)."""


class InvalidPredictionError(RuntimeError):
    """A model produced survival curves that are not probabilities non-increasing in
    time: a defect of the model, refused rather than repaired."""


class CoxConvergenceError(ValueError):
    """Newton's method could not find the Cox model's maximum (collinear columns with no
    penalty, or a column that separates the events perfectly)."""
