"""Training and test sets: landmark rows (features + labels), entity and time splits.

Honest by construction (shared/QUALITY.md):

- features at each as-of use only data up to it (the feature engine guarantees it);
- the last ``landmarks.holdout`` as-of months are the test period; training rows come
  from earlier as-of months and their outcomes are censored at the first test as-of,
  so no outcome from the test period is used in training;
- entities are split by a seeded hash of their id: an entity is either a training or a
  test entity, never both, whatever the as-of.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from attrition.checks.flat_features import screen_flat_features
from attrition.config import DEMO_DIR, HISTORY_MONTHS, TrainConfig
from attrition.contracts import BankData
from attrition.errors import ConfigError, DataContractError
from attrition.features import CATALOGUE_VERSION, build_features, build_sequences
from attrition.pipeline.coupling import cross_fitted_rm_risk
from attrition.pipeline.outcomes import (
    DURATION,
    EVENT,
    VALUE,
    outcomes_seen_before,
    target_labels,
)
from survival.sequences import SequenceFrame

logger = logging.getLogger(__name__)

__all__ = [
    "DURATION",
    "EVENT",
    "VALUE",
    "SurvivalSets",
    "bank_sets",
    "build_sets",
    "flat_sets",
    "is_test_entity",
    "landmark_months",
    "load_sets",
    "load_source",
    "outcomes_seen_before",
    "refit_months",
    "refit_sets",
    "sequence_frame",
    "target_labels",
    "with_sequences",
]


@dataclass(frozen=True)
class SurvivalSets:
    """Train and test frames: features, ``duration``, ``event`` and ``value_at_risk``.

    ``value_at_risk`` is what an event costs, for the business metric: the AUM that
    left for a client outflow, 1 for an RM resignation or a flat-table event.
    """

    train: pd.DataFrame
    test: pd.DataFrame
    feature_names: list[str]
    groups: np.ndarray  # entity id of every training row, for grouped early stopping
    train_as_of: list[str]
    test_as_of: list[str]
    catalogue_version: str | None
    train_seq: SequenceFrame | None = None  # monthly histories, for sequence models
    test_seq: SequenceFrame | None = None
    # what building the sets did that a data scientist should read (flat tables: text
    # columns used as categories, columns dropped)
    notes: list[str] = dataclasses.field(default_factory=list)

    @property
    def times(self) -> np.ndarray | None:
        """Landmark month of every training row (months since 1970-01), for early
        stopping on a time-based split; None in flat-table mode (no time axis)."""
        if "as_of" not in (self.train.index.names or []):
            return None
        return self.train.index.get_level_values("as_of").asi8.astype(np.int64)

    def inputs(self, part: str, kind: str) -> pd.DataFrame | SequenceFrame:
        """What a model of ``kind`` ("table" or "sequence") reads for ``part``."""
        if kind == "sequence":
            seq = self.train_seq if part == "train" else self.test_seq
            if seq is None:
                raise ConfigError(
                    "a sequence model needs monthly histories, which flat tables do not have"
                )
            return seq
        frame = self.train if part == "train" else self.test
        return (
            frame[self.feature_names]
            if part == "test"
            else frame[[*self.feature_names, DURATION, EVENT]]
        )


def landmark_months(
    last_month: pd.Period, config: TrainConfig, *, first_month: pd.Period | None = None
) -> tuple[list[pd.Period], list[pd.Period]]:
    """Training and test as-of months (see :class:`attrition.config.LandmarkConfig`).

    With ``first_month`` (the data's first month of balances), ``count: auto`` takes
    as many landmarks as fit after 3 months of history, up to ``max_count``; without
    it, ``max_count``. Too short a history for ``min_count`` (or for an explicit
    ``count``) is refused with the months the bank has and needs.

    Raises
    ------
    ConfigError
        When the landmarks do not fit in the data's history.
    """
    lm = config.landmarks
    gap = lm.gap if lm.gap is not None else int(np.ceil(max(config.horizons)))
    latest = last_month - gap
    count = lm.max_count if lm.count == "auto" else lm.count
    if first_month is not None:
        earliest = first_month + (HISTORY_MONTHS - 1)
        fits = (latest.ordinal - earliest.ordinal) // lm.step + 1
        if lm.count == "auto":
            count = min(lm.max_count, fits)
        wanted = lm.min_count if lm.count == "auto" else lm.count
        if fits < wanted:
            _refuse_short_history(first_month, last_month, config, wanted, gap)
    months = [latest - lm.step * k for k in reversed(range(count))]
    return months[: count - lm.holdout], months[count - lm.holdout :]


def _refuse_short_history(
    first: pd.Period, last: pd.Period, config: TrainConfig, wanted: int, gap: int
) -> None:
    lm = config.landmarks
    has = last.ordinal - first.ordinal + 1
    needs = lm.months_needed(wanted, gap)
    key = "min_count" if lm.count == "auto" else "count"
    lower = [f"landmarks.{key} (down to landmarks.holdout + 1 = {lm.holdout + 1})"]
    if wanted <= lm.holdout + 1:
        lower = ["landmarks.holdout"] if lm.holdout > 1 else []
    fix = "lower " + ", ".join([*lower, "landmarks.step", "landmarks.gap"])
    if lm.count != "auto":
        fix += ", or set landmarks.count: auto to take as many as the data allows"
    raise ConfigError(
        f"the bank has {has} months of balance history ({first}..{last}); "
        f"{wanted} landmarks (landmarks.{key}) {lm.step} months apart, the latest {gap} "
        f"months before the end of the data and {HISTORY_MONTHS} months of history "
        f"before the first, need {needs} months. Load more history, or {fix}"
    )


def is_test_entity(ids: pd.Index | np.ndarray, *, fraction: float, seed: int) -> np.ndarray:
    """Stable seeded assignment of entities to the test side (same id, same side)."""
    values = np.asarray(pd.Index(ids).astype(str), dtype=object)
    h = pd.util.hash_array(values, hash_key=f"attrition{seed:07d}"[:16])
    return (h / np.float64(2**64)) < fraction


def bank_sets(data: BankData, config: TrainConfig) -> SurvivalSets:
    """Landmark training and test sets for a bank target."""
    entity = config.entity
    train_m, test_m = landmark_months(data.last_month, config, first_month=data.first_month)
    logger.info(
        "%s landmarks: training as of %s, test as of %s",
        config.name,
        ", ".join(map(str, train_m)),
        ", ".join(map(str, test_m)),
    )
    rm_risk = None
    if config.rm_risk is not None:
        rm_risk = cross_fitted_rm_risk(data, config, train_m, test_m)
    frames = []
    for months in (train_m, test_m):
        X = build_features(data, entity, months, rm_risk=rm_risk)
        frames.append(X.join(target_labels(data, config, months), how="inner"))
    train, test = frames
    id_level = train.index.names[0]
    in_test = is_test_entity(
        train.index.get_level_values(id_level),
        fraction=config.split.test_fraction,
        seed=config.seed,
    )
    train = train[~in_test]
    in_test = is_test_entity(
        test.index.get_level_values(id_level), fraction=config.split.test_fraction, seed=config.seed
    )
    test = test[in_test]
    train = outcomes_seen_before(train, test_m[0])
    features = [c for c in train.columns if c not in (DURATION, EVENT, VALUE)]
    _check_sets(train, test, config)
    return SurvivalSets(
        train=train,
        test=test,
        feature_names=features,
        groups=train.index.get_level_values(id_level).astype(str).to_numpy(),
        train_as_of=[str(m) for m in train_m],
        test_as_of=[str(m) for m in test_m],
        catalogue_version=CATALOGUE_VERSION,
    )


def sequence_frame(
    data: BankData, config: TrainConfig, frame: pd.DataFrame, months: int
) -> SequenceFrame:
    """Monthly histories (``months`` steps up to each row's as-of) for the rows of
    ``frame`` (indexed by id and as-of), with its categorical features as static
    inputs and its labels when it has them (scoring new as-of months has none)."""
    as_of = sorted(set(frame.index.get_level_values("as_of")))
    batch = build_sequences(data, config.entity, as_of, months=months)
    keys = pd.MultiIndex.from_arrays([batch.ids.astype(str), batch.as_of])
    wanted = pd.MultiIndex.from_arrays(
        [frame.index.get_level_values(0).astype(str), frame.index.get_level_values("as_of")]
    )
    pos = keys.get_indexer(wanted)
    if (pos < 0).any():
        raise ConfigError(
            f"{int((pos < 0).sum())} rows have no monthly history; the feature engine's "
            "tabular and sequence populations disagree"
        )
    static = [c for c in frame.columns if isinstance(frame[c].dtype, pd.CategoricalDtype)]
    return SequenceFrame(
        values=batch.values[pos],
        mask=batch.mask[pos],
        index=frame.index,
        feature_names=tuple(batch.feature_names),
        static=frame[static] if static else None,
        labels=frame[[DURATION, EVENT]] if {DURATION, EVENT} <= set(frame.columns) else None,
    )


def with_sequences(sets: SurvivalSets, data: BankData, config: TrainConfig) -> SurvivalSets:
    """The same sets with monthly histories attached to every row."""
    months = config.sequence.months
    return dataclasses.replace(
        sets,
        train_seq=sequence_frame(data, config, sets.train, months),
        test_seq=sequence_frame(data, config, sets.test, months),
    )


def flat_sets(frame: pd.DataFrame, config: TrainConfig) -> SurvivalSets:
    """Entity-split training and test sets for flat-table mode (no time axis)."""
    d = config.data
    screen, problems = screen_flat_features(
        frame, d.flat_spec(), table_name=d.table or Path(str(d.path)).stem
    )
    if problems:
        raise DataContractError(problems, source=str(d.path))
    for line in screen.lines():
        logger.info("%s: %s", config.name, line)
    features = screen.features
    df = frame.set_index(d.id)[features].assign(
        **{
            DURATION: frame[d.duration].to_numpy(float),
            EVENT: frame[d.event].to_numpy().astype(bool),
            VALUE: 1.0,
        }
    )
    for c in screen.categorical:
        df[c] = df[c].astype(str).astype("category")
    test_mask = is_test_entity(df.index, fraction=config.split.test_fraction, seed=config.seed)
    train, test = df[~test_mask], df[test_mask]
    _check_sets(train, test, config)
    return SurvivalSets(
        train=train,
        test=test,
        feature_names=features,
        groups=train.index.astype(str).to_numpy(),
        train_as_of=[],
        test_as_of=[],
        catalogue_version=None,
        notes=screen.lines(),
    )


def _check_sets(train: pd.DataFrame, test: pd.DataFrame, config: TrainConfig) -> None:
    problems = []
    who = {"rm": "RMs", "client": "clients"}.get(config.entity or "", "entities")
    for part, df in (("training", train), ("test", test)):
        if len(df) == 0:
            problems.append(f"the {part} set is empty")
        elif not df[EVENT].any():
            n = df.index.get_level_values(0).nunique()
            problems.append(
                f"the {part} set has no events ({len(df):,} rows from {n:,} {who}, none "
                "with the event in its follow-up)"
            )
    if problems:
        raise ConfigError(
            f"cannot train {config.name!r}: "
            + "; ".join(problems)
            + " (more data, more landmarks.count, or another split.test_fraction)"
        )


def load_source(config: TrainConfig) -> BankData | pd.DataFrame:
    """Read the configured data: the bank's tables, or the flat table."""
    if config.target == "flat":
        from attrition.io import load_flat

        return load_flat(config.data.path, config.data.flat_spec(), table=config.data.table)
    if not config.data.source:
        raise ConfigError(f"config {config.name!r} names no data.source; pass --source DIR_OR_URL")
    from attrition.io import is_url, load_bank

    source = config.data.source
    if not is_url(source) and not Path(source).exists():
        if Path(source).resolve() == (DEMO_DIR / "bank").resolve():
            hint = "run `attrition demo` first (it writes its synthetic bank there)"
        else:
            hint = "check the path, or pass --source DIR_OR_URL"
        raise ConfigError(f"data source {source} of {config.name!r} does not exist; {hint}")
    return load_bank(source)


def build_sets(
    source: BankData | pd.DataFrame, config: TrainConfig, *, sequences: bool = False
) -> SurvivalSets:
    """The training and test sets of data read by :func:`load_source` (with monthly
    histories when ``sequences``, for sequence models)."""
    if isinstance(source, pd.DataFrame):
        return flat_sets(source, config)
    sets = bank_sets(source, config)
    return with_sequences(sets, source, config) if sequences else sets


def load_sets(config: TrainConfig, *, sequences: bool = False) -> SurvivalSets:
    """Read the configured data and build the training and test sets."""
    return build_sets(load_source(config), config, sequences=sequences)


def refit_months(last_month: pd.Period, config: TrainConfig, first: pd.Period) -> list[pd.Period]:
    """The landmarks of the refit after the holdout: ``landmarks.step`` apart, from
    ``first`` (the first training landmark) to the last month with follow-up for the
    shortest horizon."""
    newest = last_month - int(np.ceil(min(config.horizons)))
    count = (newest.ordinal - first.ordinal) // config.landmarks.step + 1
    return [newest - config.landmarks.step * k for k in reversed(range(count))]


def refit_sets(
    source: BankData | pd.DataFrame,
    config: TrainConfig,
    sets: SurvivalSets,
    *,
    sequences: bool = False,
) -> SurvivalSets:
    """Every row the registered model is refitted on once the holdout is measured
    (:attr:`TrainConfig.refit`): training and test entities together and, for a bank,
    every landmark from the first training one to the last month with follow-up for the
    shortest horizon, outcomes censored only by the end of the data. ``test`` is empty.
    """
    if isinstance(source, pd.DataFrame):
        train = pd.concat([sets.train, sets.test])
        return dataclasses.replace(
            sets, train=train, test=sets.test.iloc[:0], groups=train.index.astype(str).to_numpy()
        )
    months = refit_months(source.last_month, config, pd.Period(sets.train_as_of[0], "M"))
    logger.info("%s refit landmarks: %s", config.name, ", ".join(map(str, months)))
    rm_risk = None
    if config.rm_risk is not None:
        rm_risk = cross_fitted_rm_risk(source, config, months, [])
    X = build_features(source, config.entity, months, rm_risk=rm_risk)
    train = X.join(target_labels(source, config, months), how="inner")
    if not train[EVENT].any():
        raise ConfigError(f"cannot refit {config.name!r}: no event in {len(train):,} rows")
    out = SurvivalSets(
        train=train,
        test=train.iloc[:0],
        feature_names=sets.feature_names,
        groups=train.index.get_level_values(0).astype(str).to_numpy(),
        train_as_of=[str(m) for m in months],
        test_as_of=[],
        catalogue_version=sets.catalogue_version,
        notes=sets.notes,
    )
    if sequences:
        out = dataclasses.replace(
            out, train_seq=sequence_frame(source, config, train, config.sequence.months)
        )
    return out
