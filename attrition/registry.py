"""The model registry: every trained model is a versioned folder, written atomically.

Layout under ``$ATTRITION_HOME/models`` (default ``./var/models``)::

    <name>/v<N>/model.pkl       the fitted estimator (survival.base.SurvivalMixin.save)
    <name>/v<N>/config.yaml     the training config, as run
    <name>/v<N>/metadata.json   format, target, feature list, catalogue version, horizons,
                                as-of months, data fingerprint, library versions, created_at
    <name>/v<N>/metrics.csv     the holdout metrics of every model tried
    <name>/v<N>/holdout_model.pkl  the fit the holdout metrics were measured on, when the
                                registered model was refitted on every row after it
                                (config ``refit``); re-evaluations use it
    <name>/v<N>/background.pkl  the explanation background: training inputs sampled at
                                training (seeded), so drivers do not depend on who else
                                is scored in the same run

A version folder is built under a hidden temporary name and renamed into place, so a
reader never sees half a model and a crashed run leaves no version behind (a killed
run's temporary is removed by the next registration). Versions only grow:
``<name>/.last-version`` keeps the highest number ever given, so a deleted version's
number is never reused. ``NAME`` alone means the latest, ``NAME@N`` a given one.

A version folder missing a file, with unreadable metadata or with a ``model.pkl`` that
is cut short (its size differs from the one recorded at registration, or, for versions
registered before sizes were recorded, it does not start and end as a pickle does) is
*broken*: listed with the reason, refused with a one-line error when asked for; the
other versions still work. These checks read no model: a model file that is complete but
cannot be unpickled (a library missing) is only found when it is loaded.

Hidden leftovers of killed registrations are removed by the next registration of the
same name: ``.version.tmp-<pid>-<hex>`` folders whose process is gone, and folders of
the earlier naming, ``.tmp-<32 hex>``, older than :data:`OLD_TEMP_AGE_S` and holding
nothing but the files a registration writes.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import pickle
import platform
import re
import shutil
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata as importlib_metadata
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from attrition.config import TrainConfig, parse_config
from attrition.errors import AttritionError
from attrition.io.outputs import (
    check_output_file,
    remove_stale_temps,
    temp_path,
    write_text_atomic,
)

logger = logging.getLogger(__name__)

REGISTRY_FORMAT = 1
_VERSION_DIR = re.compile(r"^v(\d+)$")
_REQUIRED_FILES = ("metadata.json", "config.yaml", "model.pkl")
_LAST_VERSION = ".last-version"
BACKGROUND_FILE = "background.pkl"
HOLDOUT_MODEL_FILE = "holdout_model.pkl"
_OLD_TEMP = re.compile(r"^\.tmp-[0-9a-f]{32}$")  # the earlier temporary naming
OLD_TEMP_AGE_S = 3600
_PICKLE_STOP = b"."
_LIBRARIES = ("attrition", "numpy", "pandas", "scikit-learn", "lifelines", "xgboost-cpu", "torch")


class RegistryError(AttritionError, LookupError):
    """A model reference that does not exist, or a model that cannot be used here."""


def _stamp(path: Path) -> tuple[int, int]:
    """What changes when a file is rewritten: its size and modification time."""
    st = path.stat()
    return st.st_size, st.st_mtime_ns


@functools.lru_cache(maxsize=32)
def _parsed_config(path: str, stamp: tuple[int, int], where: str) -> TrainConfig:
    return parse_config(yaml.safe_load(Path(path).read_text(encoding="utf-8")), where=where)


@functools.lru_cache(maxsize=8)
def _loaded_background(path: str, stamp: tuple[int, int]) -> Any:
    with open(path, "rb") as fh:
        return pickle.load(fh)  # written by this library at registration, like model.pkl


@functools.lru_cache(maxsize=8)
def _loaded_model(path: str, stamp: tuple[int, int], ref: str) -> Any:
    from survival.base import ModelFormatError, SurvivalMixin

    try:
        return SurvivalMixin.load(path)
    except ModelFormatError as exc:
        raise RegistryError(f"model {ref} cannot be loaded: {exc}") from exc


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
    """One registered model version (its folder and metadata).

    ``problem`` says why a broken version cannot be used (``None`` when it can).
    """

    name: str
    version: int
    path: Path
    metadata: dict[str, Any]
    problem: str | None = None

    @property
    def ref(self) -> str:
        return f"{self.name}@{self.version}"

    @property
    def metrics(self) -> pd.DataFrame:
        """The holdout metrics; empty when the file is missing or unreadable."""
        try:
            return pd.read_csv(self.path / "metrics.csv")
        except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError):
            return pd.DataFrame()

    @property
    def config_text(self) -> str:
        return (self.path / "config.yaml").read_text(encoding="utf-8")

    @property
    def config(self) -> TrainConfig:
        """The training config as run, validated (parsed once per process and file)."""
        path = self.path / "config.yaml"
        return _parsed_config(str(path), _stamp(path), f"{self.ref}/config.yaml")

    def load_model(self) -> Any:
        """The fitted estimator, after checking the registry format.

        Loaded once per process and model file (a cache keyed by the version folder and
        the file's size and modification time, so a service scoring one entity at a
        time does not unpickle the model on every call); the estimator is shared, and
        predicting does not change it.
        """
        return self._load("model.pkl")

    def load_holdout_model(self) -> Any:
        """The fit the holdout was measured on: the one kept beside a model refitted on
        every row (it never saw the holdout), else the registered model itself. Every
        re-evaluation on the holdout uses it, so its metrics stay honest."""
        if (self.path / HOLDOUT_MODEL_FILE).is_file():
            return self._load(HOLDOUT_MODEL_FILE)
        return self.load_model()

    def _load(self, name: str) -> Any:
        fmt = self.metadata.get("format", 0)
        if fmt > REGISTRY_FORMAT:
            raise RegistryError(
                f"model {self.ref} was written in registry format {fmt}, newer than this "
                f"library reads ({REGISTRY_FORMAT}); upgrade attrition to use it"
            )
        path = self.path / name
        try:
            return _loaded_model(str(path), _stamp(path), self.ref)
        except FileNotFoundError as exc:
            raise RegistryError(f"model {self.ref} cannot be loaded: {exc}") from exc

    def background(self) -> Any:
        """The explanation background saved at training (a DataFrame or SequenceFrame
        of training inputs), or None for a version registered without one."""
        path = self.path / BACKGROUND_FILE
        if not path.is_file():
            return None
        return _loaded_background(str(path), _stamp(path))

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

    def check_writable(self, name: str) -> None:
        """Refuse, before any training, a registry that cannot take a new version of
        ``name``: the models folder or the model's folder is a file, or no file can be
        created there."""
        for path in (self.root.parent, self.root, self.root / name):
            if path.exists() and not path.is_dir():
                raise RegistryError(
                    f"cannot register {name!r} in {self.root}: {path} is a file, not a folder; "
                    "move that file away or choose another home (ATTRITION_HOME or --out)"
                )
        check_output_file(self.root / name / _LAST_VERSION, example=None)

    def register(
        self,
        name: str,
        *,
        model: Any,
        config_yaml: str,
        metadata: dict[str, Any],
        metrics: pd.DataFrame,
        background: Any = None,
        holdout_model: Any = None,
    ) -> ModelRecord:
        """Write a new version of ``name`` atomically and return its record.

        ``background``: the rows explanations compare against (a sample of the training
        inputs, chosen at training), so an entity explained alone gets the same drivers
        as in a bank-wide run. ``holdout_model``: the fit ``metrics`` were measured on,
        when ``model`` was refitted on more rows after it.
        """
        folder = self.root / name
        folder.mkdir(parents=True, exist_ok=True)
        remove_stale_temps(folder / "version")  # what a killed `attrition train` left
        _remove_old_temps(folder)
        tmp = temp_path(folder / "version")
        tmp.mkdir()
        try:
            model.save(tmp / "model.pkl")
            model_bytes = (tmp / "model.pkl").stat().st_size
            if holdout_model is not None:
                holdout_model.save(tmp / HOLDOUT_MODEL_FILE)
            if background is not None:  # inside the folder renamed into place: atomic
                with open(tmp / BACKGROUND_FILE, "wb") as fh:
                    pickle.dump(background, fh, protocol=pickle.HIGHEST_PROTOCOL)
            (tmp / "config.yaml").write_text(config_yaml, encoding="utf-8")
            metrics.to_csv(tmp / "metrics.csv", index=False)
            for _ in range(100):
                version = max([*self._versions(name), self._last_version(name)]) + 1
                meta = {
                    "format": REGISTRY_FORMAT,
                    "name": name,
                    "version": version,
                    "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
                    "library_versions": library_versions(),
                    **metadata,
                    "model_bytes": model_bytes,
                }
                (tmp / "metadata.json").write_text(json.dumps(meta, indent=2, default=str))
                target = folder / f"v{version}"
                try:
                    os.rename(tmp, target)  # fails if another run took this version
                except OSError:
                    if target.exists():
                        continue
                    raise
                if version > self._last_version(name):
                    write_text_atomic(folder / _LAST_VERSION, f"{version}\n")
                return ModelRecord(name, version, target, meta)
            raise RegistryError(f"could not find a free version number for {name!r}")
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise

    def _last_version(self, name: str) -> int:
        """The highest version number ever given to ``name`` (0 when none is recorded)."""
        try:
            return int((self.root / name / _LAST_VERSION).read_text().strip())
        except (OSError, ValueError):
            return 0

    def _record(self, name: str, number: int) -> ModelRecord:
        """The version's record, with ``problem`` set when a file is missing or unreadable."""
        path = self.root / name / f"v{number}"
        missing = [f for f in _REQUIRED_FILES if not (path / f).is_file()]
        meta: Any = {}
        if "metadata.json" not in missing:
            try:
                meta = json.loads((path / "metadata.json").read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:  # JSON and decoding errors are ValueErrors
                return ModelRecord(name, number, path, {}, f"metadata.json unreadable ({exc})")
            if not isinstance(meta, dict):
                return ModelRecord(name, number, path, {}, "metadata.json is not a mapping")
        problem = f"{', '.join(missing)} missing" if missing else None
        if problem is None:
            problem = _model_file_problem(path / "model.pkl", meta.get("model_bytes"))
        return ModelRecord(name, number, path, meta, problem)

    def get(self, ref: str) -> ModelRecord:
        """``NAME`` (latest version) or ``NAME@N``; a broken version is refused."""
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
        record = self._record(name, number)
        if record.problem is not None:
            working = [
                f"{name}@{v}"
                for v in versions
                if v != number and self._record(name, v).problem is None
            ]
            raise RegistryError(
                f"model {record.ref} is broken ({record.problem}) in {record.path}; retrain it "
                "with `attrition train`"
                + (
                    f", or use a working version: {', '.join(working)}"
                    if working
                    else f" (no other version of {name!r} works)"
                )
            )
        return record

    def names(self) -> list[str]:
        if not self.root.is_dir():
            return []
        return sorted(p.name for p in self.root.iterdir() if p.is_dir() and self._versions(p.name))

    def records(self) -> list[ModelRecord]:
        """Every version of every model, oldest first within a name; broken ones included
        (with ``problem`` set) so that one broken version hides nothing else."""
        return [self._record(n, v) for n in self.names() for v in self._versions(n)]


def _model_file_problem(path: Path, recorded: object) -> str | None:
    """Why ``model.pkl`` is cut short, without loading it; None when it looks whole.

    The size recorded at registration decides; older versions have none, so their file
    must at least start as a pickle (protocol 2 or later) and end with its STOP byte.
    """
    try:
        size = path.stat().st_size
        if isinstance(recorded, int) and not isinstance(recorded, bool):
            if size != recorded:
                return f"model.pkl is {size:,} bytes, not the {recorded:,} written (cut short?)"
            return None
        with path.open("rb") as fh:
            head = fh.read(2)
            fh.seek(max(size - 1, 0))
            tail = fh.read(1)
    except OSError as exc:
        return f"model.pkl unreadable ({exc.strerror or exc})"
    if len(head) < 2 or head[0] != 0x80 or head[1] < 2 or tail != _PICKLE_STOP:
        return "model.pkl is not a complete model file (cut short or overwritten?)"
    return None


def _remove_old_temps(folder: Path) -> None:
    """Remove the earlier naming's leftovers (``.tmp-<32 hex>``) of killed registrations:
    only hidden folders of that exact pattern, older than :data:`OLD_TEMP_AGE_S`, that
    hold nothing but files a registration writes."""
    ours = {*_REQUIRED_FILES, "metrics.csv"}
    for entry in folder.iterdir():
        if not _OLD_TEMP.match(entry.name) or entry.is_symlink() or not entry.is_dir():
            continue
        try:
            if time.time() - entry.stat().st_mtime < OLD_TEMP_AGE_S:
                continue  # perhaps a registration still running (an older library)
            inside = list(entry.iterdir())
        except OSError:
            continue
        if all(
            p.is_file()
            and not p.is_symlink()
            and (p.name in ours or p.name.startswith(".model.pkl."))
            for p in inside
        ):
            shutil.rmtree(entry, ignore_errors=True)
            logger.info("removed %s, left by a killed registration", entry)
