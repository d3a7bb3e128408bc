"""Training configuration: one YAML file per model, parsed once into frozen pydantic models.

Example (``attrition/configs/client_outflow.yaml``, shipped as package data)::

    name: client_outflow
    target: client_outflow          # client_outflow | rm_resignation | flat
    seed: 7
    data:
      source: ../var/demo/bank      # directory or SQLAlchemy URL; --source overrides
    horizons: [1, 3, 6, 12]         # months (flat: the duration column's unit)
    landmarks: {count: auto, max_count: 8, step: 3, holdout: 2}
    split: {test_fraction: 0.25}
    model: {type: xgb_cox, params: {learning_rate: 0.05}}
    compare: [{type: weibull_aft}, {type: logistic_hazard}]
    refit: true                     # after the holdout: refit on every row (the default)

Unknown keys are errors (``extra="forbid"``); messages name the key and the allowed
values. Relative paths in ``data`` are relative to the config file's folder, and a
``--source`` override to the working folder; both are made absolute at once, so the
config stored with a model works from any folder. Nothing below the CLI and pipeline
reads YAML or the environment.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from attrition.contracts import DEFAULT_HORIZONS, OUTFLOW_DROP, OUTFLOW_MIN_AUM, FlatSpec
from attrition.errors import ConfigError

Target = Literal["client_outflow", "rm_resignation", "flat"]
# The configs that ship with the package (the demo's, the playbook, the flat example)
SHIPPED_CONFIGS = Path(__file__).resolve().parent / "configs"
# Where `attrition demo` works by default (relative to the working folder)
DEMO_DIR = Path("var") / "demo"
ENTITY_OF_TARGET = {"client_outflow": "client", "rm_resignation": "rm"}
HISTORY_MONTHS = 3  # months of balances the earliest landmark needs (outflow reference)


class Frozen(BaseModel):
    """Config sections: immutable, and unknown keys are errors."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class DataConfig(Frozen):
    """Where the data comes from. ``source`` for bank tables; the rest for flat mode."""

    source: str | None = None
    path: str | None = None
    table: str | None = None
    id: str | None = None
    duration: str | None = None
    event: str | None = None
    features: tuple[str, ...] | None = None
    categorical: tuple[str, ...] = ()

    def flat_spec(self) -> FlatSpec:
        return FlatSpec(
            id=str(self.id),
            duration=str(self.duration),
            event=str(self.event),
            features=self.features,
            categorical=self.categorical,
        )


class LandmarkConfig(Frozen):
    """As-of months: ``count`` of them, ``step`` months apart, the latest one ``gap``
    months before the end of the data (default: the largest horizon, so that test rows
    can be followed that long); the last ``holdout`` as-of months are the test set.

    ``count: auto`` (the default) takes as many as the data's history allows, at most
    ``max_count`` and at least ``min_count``: the earliest as-of needs 3 months of
    balances behind it (the outflow reference). A bank with too short a history for
    ``min_count`` is refused with the months it has and needs. An explicit ``count``
    is taken as it is, and refused when the data is too short for it.
    """

    count: Annotated[int, Field(ge=2, le=60)] | Literal["auto"] = "auto"
    min_count: int = Field(3, ge=2, le=60)
    max_count: int = Field(8, ge=2, le=60)
    step: int = Field(3, ge=1, le=24)
    holdout: int = Field(2, ge=1)
    gap: int | None = Field(None, ge=0)

    @model_validator(mode="after")
    def _holdout_leaves_training(self) -> LandmarkConfig:
        if self.count == "auto":
            if self.min_count > self.max_count:
                raise ValueError(
                    f"landmarks.min_count ({self.min_count}) must not exceed "
                    f"landmarks.max_count ({self.max_count})"
                )
            fewest, key = self.min_count, "min_count"
        else:
            fewest, key = self.count, "count"
        if self.holdout >= fewest:
            raise ValueError(
                f"landmarks.holdout ({self.holdout}) must be smaller than landmarks.{key} "
                f"({fewest}) so that some as-of months are left for training"
            )
        return self

    def months_needed(self, count: int, gap: int) -> int:
        """Months of balance history ``count`` landmarks need (3 before the first)."""
        return HISTORY_MONTHS + self.step * (count - 1) + gap


class SplitConfig(Frozen):
    """Entities (not rows) go to test with this probability, chosen by a seeded hash.

    ``early_stopping`` is how models that stop early (the hazard nets, and ``xgb_cox``
    with ``early_stopping_rounds``) hold out validation rows from the training set:
    ``entity`` holds out a seeded share of entities (all their landmarks); ``time``
    holds out the latest training landmarks, with earlier outcomes censored where they
    start, which checks forecasting forward. On the synthetic bank's three years
    ``time`` stopped the GRU after 1-6 epochs and lost 0.005-0.012 of Uno's C at 3
    months against ``entity`` (BENCHMARKS.md): the latest landmark sees only its first
    months of outcomes and is no longer trained on. A bank with a longer history, or
    one whose behaviour drifts, may prefer ``time``.
    """

    test_fraction: float = Field(0.25, gt=0.0, lt=0.9)
    early_stopping: Literal["entity", "time"] = "entity"


class OutflowConfig(Frozen):
    drop: float = Field(OUTFLOW_DROP, gt=0.0, lt=1.0)
    reference_months: int = Field(3, ge=1, le=12)
    min_aum: float = Field(OUTFLOW_MIN_AUM, ge=0.0)


class SequenceConfig(Frozen):
    """Monthly histories for sequence models (``gru_hazard``): ``months`` steps up to
    each as-of month; the categorical features join as static inputs."""

    months: int = Field(12, ge=2, le=60)


class ModelConfig(Frozen):
    """``type`` is a key of :data:`survival.catalog.MODEL_TYPES`; ``params`` go to its
    constructor. Both are checked by the pipeline before any data is read (this module
    is part of the data layer and knows no models)."""

    type: str
    params: dict[str, Any] = Field(default_factory=dict)


class RMRiskConfig(Frozen):
    """Client targets: the RM flight-risk feature (``rm_flight_risk``), cross-fitted.

    An RM model of ``model`` is fitted on the RM landmark rows of the same as-of
    months (outcomes censored at the test period, as for any training row) in
    ``folds`` folds of RMs, so that each training landmark gets its RM's risk at
    ``horizon`` months from a model that never saw that RM's outcome; the test
    landmarks get it from a model fitted on every training RM. Scoring passes the
    registered RM model's risk at the same horizon.
    """

    model: ModelConfig
    folds: int = Field(5, ge=2, le=20)
    horizon: int = Field(3, ge=1, le=12)


class QualityConfig(Frozen):
    """When a registered model is too weak to act on: scoring with it prints and stores
    a warning when its holdout had fewer than ``min_holdout_events`` events (too small
    a bank, or too few landmarks, to measure it) or its holdout C-index at the tier
    horizon is below ``min_c_index`` (0.5 is chance)."""

    min_holdout_events: int = Field(50, ge=0)
    min_c_index: float = Field(0.6, ge=0.5, le=1.0)


class TrainConfig(Frozen):
    """A whole training run (see the module docstring)."""

    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
    target: Target
    seed: int = Field(0, ge=0)
    data: DataConfig = Field(default_factory=DataConfig)
    horizons: tuple[float, ...] = DEFAULT_HORIZONS
    landmarks: LandmarkConfig = Field(default_factory=LandmarkConfig)
    split: SplitConfig = Field(default_factory=SplitConfig)
    outflow: OutflowConfig = Field(default_factory=OutflowConfig)
    sequence: SequenceConfig = Field(default_factory=SequenceConfig)
    model: ModelConfig
    compare: tuple[ModelConfig, ...] = ()
    top_share: tuple[float, ...] = (0.05, 0.10, 0.20)
    rm_risk: RMRiskConfig | None = None
    quality: QualityConfig = Field(default_factory=QualityConfig)
    # After the holdout is measured, the registered model is refitted on every row: all
    # entities and, for a bank, every landmark up to the last month with follow-up for
    # the shortest horizon (outcomes censored at the end of the data), so that what
    # scores next month learnt from last month. The fit that was measured is kept beside
    # it for re-evaluation. ``false``: register the measured fit itself.
    refit: bool = True

    @field_validator("horizons")
    @classmethod
    def _positive_sorted(cls, value: tuple[float, ...]) -> tuple[float, ...]:
        if not value or any(h <= 0 for h in value):
            raise ValueError(f"horizons must be positive numbers, got {list(value)}")
        return tuple(sorted(set(value)))

    @model_validator(mode="after")
    def _data_matches_target(self) -> TrainConfig:
        d = self.data
        if self.target == "flat":
            missing = [k for k in ("path", "id", "duration", "event") if getattr(d, k) is None]
            if missing:
                raise ValueError(
                    f"target 'flat' needs data.{', data.'.join(missing)} "
                    "(the table and its id, duration and event columns)"
                )
        elif d.path is not None:
            raise ValueError(
                f"data.path is for target 'flat'; target {self.target!r} reads bank tables "
                "from data.source"
            )
        if self.rm_risk is not None and self.target != "client_outflow":
            raise ValueError(
                f"rm_risk feeds the RM's flight risk to client models; target {self.target!r} "
                "cannot use it"
            )
        return self

    @property
    def entity(self) -> str | None:
        return ENTITY_OF_TARGET.get(self.target)

    def with_source(self, source: str | None) -> TrainConfig:
        """This config with ``data.source`` (or ``data.path`` for flat) replaced; a
        relative path is resolved from the working folder."""
        if source is None:
            return self
        key = "path" if self.target == "flat" else "source"
        value = absolute_source(source, Path.cwd())
        return self.model_copy(update={"data": self.data.model_copy(update={key: value})})


def absolute_source(value: str, base: Path) -> str:
    """A file or folder path made absolute (relative to ``base``); a URL unchanged."""
    if "://" in value:
        return value
    return os.path.normpath(os.path.join(os.path.abspath(base), os.path.expanduser(value)))


def read_yaml(path: Path, *, what: str) -> Any:
    """A YAML file's content; a missing or broken file is a ConfigError naming ``what``."""
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{what} file {path} does not exist") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{what} file {path} is not valid YAML: {exc}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{what} file {path} is not UTF-8 text") from None
    except OSError as exc:
        raise ConfigError(f"{what} file {path} cannot be read: {exc.strerror}") from None


def format_validation_errors(exc: ValidationError, where: str, *, what: str = "config") -> str:
    """Every pydantic error of a YAML file as one plain message: key path and problem."""
    lines = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"]) or "(top level)"
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            msg = f"unknown key (check the spelling; see {SHIPPED_CONFIGS} for examples)"
        elif err["type"] == "literal_error":
            msg = f"{msg}, got {err.get('input')!r}"
        lines.append(f"  - {loc}: {msg}")
    return f"invalid {what} {where}:\n" + "\n".join(lines)


def parse_config(raw: Any, *, where: str = "<mapping>") -> TrainConfig:
    """Validate a mapping (e.g. parsed YAML) into a :class:`TrainConfig`."""
    if not isinstance(raw, dict):
        raise ConfigError(
            f"invalid config {where}: expected a mapping of keys, got {type(raw).__name__}"
        )
    try:
        return TrainConfig.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(format_validation_errors(exc, where)) from None


def load_config(path: str | os.PathLike[str]) -> TrainConfig:
    """Read and validate a YAML training config.

    Raises
    ------
    ConfigError
        If the file is missing, is not YAML, or breaks a rule (every bad key listed).
    """
    path = Path(path)
    config = parse_config(read_yaml(path, what="config"), where=str(path))
    return _resolve_paths(config, path.parent)


def _resolve_paths(config: TrainConfig, base: Path) -> TrainConfig:
    """Relative ``data.path``/``data.source`` are relative to the config file's folder."""
    updates = {}
    for key in ("path", "source"):
        value = getattr(config.data, key)
        if value:
            updates[key] = absolute_source(value, base)
    if not updates:
        return config
    return config.model_copy(update={"data": config.data.model_copy(update=updates)})


def config_to_yaml(config: TrainConfig) -> str:
    """The config as YAML (what the registry stores beside each model)."""
    return yaml.safe_dump(config.model_dump(mode="json"), sort_keys=False, allow_unicode=True)


def attrition_home() -> Path:
    """Where models and runs live: ``$ATTRITION_HOME``, default ``./var``."""
    return Path(os.environ.get("ATTRITION_HOME", "var"))
