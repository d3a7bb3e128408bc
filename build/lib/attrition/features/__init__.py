"""The one feature engine for clients and relationship managers.

Long tables are pivoted into dense monthly *panels* (``[entities × months]`` float
arrays, NaN = no data) with integer codes; causal *primitives* (level, change,
slope, volatility, drawdown, recency, rolling sums and counts, ratio to peers) turn
panels into feature panels, as listed declaratively in ``clients.yaml`` and
``rms.yaml``. Column ``t`` of every feature panel uses only data dated on or before
the last day of month ``t``, so one computation gives both the tabular row at any
as-of (:func:`build_features`) and the month-by-month sequence up to it
(:func:`build_sequences`).

Modules: :mod:`.grid` (months and codes), :mod:`.panels` (scatter helpers),
:mod:`.primitives`, :mod:`.specs` (spec dataclasses and YAML), :mod:`.context`
(point-in-time views, panel cache), :mod:`.registry` (which builder makes which
panel), builders :mod:`.balances`, :mod:`.transactions`, :mod:`.holdings`,
:mod:`.contacts`, :mod:`.hr`, :mod:`.profile`, :mod:`.ownership` (client↔RM),
:mod:`.book` (RM books and peers), then :mod:`.engine`, :mod:`.tabular`,
:mod:`.sequences` and :mod:`.catalogue`.

Public API
----------
build_features(data, entity, as_of, *, spec=None, rm_risk=None) -> DataFrame
build_sequences(data, entity, as_of, *, months=12, spec=None) -> SequenceBatch
feature_catalogue(entity=None) -> DataFrame; CATALOGUE[entity][name] -> FeatureInfo
default_spec(entity), load_spec(path) -> PopulationSpec
"""

from attrition.features.catalogue import (
    CATALOGUE,
    CATALOGUE_VERSION,
    FeatureInfo,
    feature_catalogue,
    feature_info,
)
from attrition.features.primitives import PRIMITIVES
from attrition.features.sequences import SequenceBatch, build_sequences
from attrition.features.specs import (
    FeatureSpec,
    PopulationSpec,
    default_spec,
    load_spec,
    parse_spec,
)
from attrition.features.tabular import build_features

__all__ = [
    "CATALOGUE",
    "CATALOGUE_VERSION",
    "PRIMITIVES",
    "FeatureInfo",
    "FeatureSpec",
    "PopulationSpec",
    "SequenceBatch",
    "build_features",
    "build_sequences",
    "default_spec",
    "feature_catalogue",
    "feature_info",
    "load_spec",
    "parse_spec",
]
