"""Metrics for survival predictions: ranking, accuracy, calibration and captured value.

One validated function per metric, in the manner of ``sksurv.metrics``:

- ranking: :func:`concordance_index_harrell`, :func:`concordance_index_uno` and
  :func:`cumulative_dynamic_auc`;
- accuracy: :func:`brier_score` and :func:`integrated_brier_score`;
- calibration: :func:`calibration_at` (risk bins against Kaplan–Meier, one ECE);
- business: :func:`captured_share` (value that left, caught in the top k% of the list);
- estimators: :func:`kaplan_meier` and :func:`censoring_kaplan_meier`.

The C-index, AUC and Brier functions reproduce scikit-survival's numbers (same tie
conventions; censoring weights from the Kaplan–Meier of the *training* censoring
distribution), but take plain arrays ``time, event`` instead of structured arrays and
run in O(n log n), so half a million rows take seconds.

Every function raises :class:`~survival.base.SurvivalDataError` (a ``ValueError``) for
bad data, naming the argument, and :class:`~survival.base.InvalidParameterError` for a
bad keyword.
"""

from survival.metrics.auc import cumulative_dynamic_auc
from survival.metrics.brier import brier_score, integrated_brier_score
from survival.metrics.business import captured_share
from survival.metrics.calibration import CalibrationResult, calibration_at
from survival.metrics.concordance import concordance_index_harrell, concordance_index_uno
from survival.metrics.kaplan_meier import censoring_kaplan_meier, kaplan_meier

__all__ = [
    "CalibrationResult",
    "brier_score",
    "calibration_at",
    "captured_share",
    "censoring_kaplan_meier",
    "concordance_index_harrell",
    "concordance_index_uno",
    "cumulative_dynamic_auc",
    "integrated_brier_score",
    "kaplan_meier",
]
