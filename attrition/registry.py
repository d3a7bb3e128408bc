"""The model registry: every trained model is a versioned folder, written atomically.

Layout under ``$ATTRITION_HOME/models`` (default ``./var/models``)::

    <name>/v<N>/model.pkl       the fitted estimator (survival.base.SurvivalMixin.save)
    <name>/v<N>/config.yaml     the training config, as run
    <name>/v<N>/metadata.json   format, target, feature list, catalogue version, horizons,
                                as-of months, data fingerprint, library versions, created_at
    <name>/v<N>/metrics.csv     the holdout metrics of every model tried

A version folder is built under a hidden temporary name and renamed into place, so a
reader never sees half a model and a crashed run leaves no version behind. Versions
only grow; ``NAME`` alone means the latest, ``NAME@N`` a given one.
"""

from __future__ import annotations

import json
import os
import platform
import re
import shutil
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata as importlib_metadata
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from attrition.config import TrainConfig, parse_config
from attrition.errors import AttritionError

REGISTRY_FORMAT = 1
_VERSION_DIR = re.compile(r"^v(\d+)$")
_LIBRARIES = ("attrition", "numpy", "pandas", "scikit-learn", "lifelines", "xgboost-cpu", "torch")


class RegistryError(AttritionError, LookupError):
    """A model reference that does not exist, or a model that cannot be used here."""


def library_versions() -> dict[str, str]:
    """Versions of Python and of the libraries a model file depends on."""
    out = {"python": platform.python_version()}
    for lib in _LIBRARIES:
        try:
            out[lib] = importlib_metadata.version(lib)
        except importlib_metadata.PackageNotFoundError:
            out[lib] = "not installed"
    return out


@dataclass(frozen=True)
class ModelRecord:
    """One registered model version (its folder and metadata)."""

    name: str
    version: int
    path: Path
    metadata: dict[str, Any]

    @property
    def ref(self) -> str:
        return f"{self.name}@{self.version}"

    @property
    def metrics(self) -> pd.DataFrame:
        path = self.path / "metrics.csv"
        return pd.read_csv(path) if path.exists() else pd.DataFrame()

    @property
    def config_text(self) -> str:
        return (self.path / "config.yaml").read_text(encoding="utf-8")

    @property
    def config(self) -> TrainConfig:
        """The training config as run, validated."""
        return parse_config(yaml.safe_load(self.config_text), where=f"{self.ref}/config.yaml")

    def load_model(self) -> Any:
        """The fitted estimator, after checking the registry format."""
        from survival.base import ModelFormatError, SurvivalMixin

        fmt = self.metadata.get("format", 0)
        if fmt > REGISTRY_FORMAT:
            raise RegistryError(
                f"model {self.ref} was written in registry format {fmt}, newer than this "
                f"library reads ({REGISTRY_FORMAT}); upgrade attrition to use it"
            )
        try:
            return SurvivalMixin.load(self.path / "model.pkl")
        except (ModelFormatError, FileNotFoundError) as exc:
            raise RegistryError(f"model {self.ref} cannot be loaded: {exc}") from exc

    def check_features(self, feature_names: list[str], catalogue_version: str | None) -> None:
        """Refuse a model whose feature list or catalogue differs from what is built now."""
        problems = []
        trained = list(self.metadata.get("feature_names", []))
        if catalogue_version is not None and self.metadata.get("catalogue_version") not in (
            None,
            catalogue_version,
        ):
            problems.append(
                f"it was trained with feature catalogue {self.metadata['catalogue_version']}, "
                f"this library builds {catalogue_version}"
            )
        missing = [f for f in trained if f not in feature_names]
        if missing:
            problems.append(f"{len(missing)} of its features are not built now: {missing[:8]}")
        if problems:
            raise RegistryError(
                f"model {self.ref} does not fit the current features: "
                + "; ".join(problems)
                + ". Retrain it with `attrition train --config <its config>`."
            )


class ModelRegistry:
    """Versioned model folders under ``home / "models"``."""

    def __init__(self, home: str | os.PathLike[str]) -> None:
        self.root = Path(home) / "models"

    def _versions(self, name: str) -> list[int]:
        folder = self.root / name
        if not folder.is_dir():
            return []
        found = (_VERSION_DIR.match(p.name) for p in folder.iterdir() if p.is_dir())
        return sorted(int(m.group(1)) for m in found if m)

    def register(
        self,
        name: str,
        *,
        model: Any,
        config_yaml: str,
        metadata: dict[str, Any],
        metrics: pd.DataFrame,
    ) -> ModelRecord:
        """Write a new version of ``name`` atomically and return its record."""
        folder = self.root / name
        folder.mkdir(parents=True, exist_ok=True)
        tmp = folder / f".tmp-{uuid.uuid4().hex}"
        tmp.mkdir()
        try:
            model.save(tmp / "model.pkl")
            (tmp / "config.yaml").write_text(config_yaml, encoding="utf-8")
            metrics.to_csv(tmp / "metrics.csv", index=False)
            for _ in range(100):
                version = (self._versions(name) or [0])[-1] + 1
                meta = {
                    "format": REGISTRY_FORMAT,
                    "name": name,
                    "version": version,
                    "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
                    "library_versions": library_versions(),
                    **metadata,
                }
                (tmp / "metadata.json").write_text(json.dumps(meta, indent=2, default=str))
                target = folder / f"v{version}"
                try:
                    os.rename(tmp, target)  # fails if another run took this version
                except OSError:
                    if target.exists():
                        continue
                    raise
                return ModelRecord(name, version, target, meta)
            raise RegistryError(f"could not find a free version number for {name!r}")
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise

    def get(self, ref: str) -> ModelRecord:
        """``NAME`` (latest version) or ``NAME@N``."""
        name, _, version = ref.partition("@")
        versions = self._versions(name)
        if not versions:
            known = ", ".join(self.names()) or "none yet"
            raise RegistryError(f"no model named {name!r} in {self.root} (registered: {known})")
        if version in ("", "latest"):
            number = versions[-1]
        elif version.isdigit() and int(version) in versions:
            number = int(version)
        else:
            raise RegistryError(
                f"model {name!r} has no version {version!r}; versions: "
                + ", ".join(str(v) for v in versions)
            )
        path = self.root / name / f"v{number}"
        try:
            meta = json.loads((path / "metadata.json").read_text())
        except (OSError, json.JSONDecodeError) as exc:
            raise RegistryError(f"model {name}@{number} has no readable metadata: {exc}") from exc
        return ModelRecord(name, number, path, meta)

    def names(self) -> list[str]:
        if not self.root.is_dir():
            return []
        return sorted(p.name for p in self.root.iterdir() if p.is_dir() and self._versions(p.name))

    def records(self) -> list[ModelRecord]:
        """Every version of every model, oldest first within a name."""
        return [self.get(f"{n}@{v}") for n in self.names() for v in self._versions(n)]
