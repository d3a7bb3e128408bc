"""The model registry: atomic versioned folders, references, refusals."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from attrition.registry import REGISTRY_FORMAT, ModelRegistry, RegistryError
from survival.cox import CoxPHSurvival


@pytest.fixture
def fitted():
    rng = np.random.default_rng(0)
    df = pd.DataFrame(
        {
            "x": rng.normal(size=200),
            "duration": rng.integers(1, 12, 200),
            "event": rng.integers(0, 2, 200),
        }
    )
    return CoxPHSurvival().fit(df), df


def _register(reg, model, **meta):
    return reg.register(
        "m",
        model=model,
        config_yaml="name: m\n",
        metadata={"feature_names": ["x"], "catalogue_version": "c1", **meta},
        metrics=pd.DataFrame({"model": ["model:coxph"], "c_harrell": [0.6]}),
    )


def test_versions_grow_and_name_alone_means_latest(tmp_path, fitted):
    reg = ModelRegistry(tmp_path)
    first = _register(reg, fitted[0])
    second = _register(reg, fitted[0])
    assert (first.version, second.version) == (1, 2)
    assert reg.get("m").version == 2
    assert reg.get("m@1").version == 1
    assert [r.ref for r in reg.records()] == ["m@1", "m@2"]
    meta = json.loads((second.path / "metadata.json").read_text())
    assert meta["format"] == REGISTRY_FORMAT and "library_versions" in meta and meta["created_at"]


def test_loaded_model_predicts_exactly_as_saved(tmp_path, fitted):
    model, df = fitted
    rec = _register(ModelRegistry(tmp_path), model)
    pd.testing.assert_frame_equal(
        rec.load_model().predict_survival(df, [3, 6]), model.predict_survival(df, [3, 6])
    )


def test_failed_write_leaves_no_version_behind(tmp_path, fitted):
    reg = ModelRegistry(tmp_path)

    class Broken:
        def save(self, path):
            raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        _register(reg, Broken())
    assert reg.names() == []
    assert list((tmp_path / "models" / "m").iterdir()) == []


@pytest.mark.parametrize(
    ("ref", "match"),
    [
        pytest.param("nope", "no model named 'nope'", id="name"),
        pytest.param("m@7", "has no version '7'; versions: 1", id="version"),
    ],
)
def test_unknown_references_are_named(tmp_path, fitted, ref, match):
    reg = ModelRegistry(tmp_path)
    _register(reg, fitted[0])
    with pytest.raises(RegistryError, match=match):
        reg.get(ref)


def test_model_from_a_newer_registry_format_is_refused(tmp_path, fitted):
    rec = _register(ModelRegistry(tmp_path), fitted[0], format=REGISTRY_FORMAT + 1)
    with pytest.raises(RegistryError, match="newer than this library reads"):
        ModelRegistry(tmp_path).get(rec.ref).load_model()


def test_model_trained_with_other_features_is_refused(tmp_path, fitted):
    rec = _register(ModelRegistry(tmp_path), fitted[0])
    rec.check_features(["x", "y"], "c1")
    with pytest.raises(RegistryError, match="feature catalogue c1, this library builds c2"):
        rec.check_features(["x"], "c2")
    with pytest.raises(RegistryError, match="not built now: \\['x'\\]"):
        rec.check_features(["y"], "c1")


@pytest.mark.parametrize(
    ("damage", "reason"),
    [
        pytest.param(lambda p: (p / "metadata.json").unlink(), "metadata.json missing", id="gone"),
        pytest.param(
            lambda p: (p / "metadata.json").write_text("{half"),
            "metadata.json unreadable",
            id="corrupt",
        ),
        pytest.param(lambda p: (p / "config.yaml").unlink(), "config.yaml missing", id="config"),
    ],
)
def test_a_broken_version_is_listed_as_broken_and_the_others_still_work(
    tmp_path, fitted, damage, reason
):
    reg = ModelRegistry(tmp_path)
    second = [_register(reg, fitted[0]) for _ in range(3)][1]
    damage(second.path)
    listed = {r.ref: r.problem for r in reg.records()}
    assert listed["m@1"] is None and listed["m@3"] is None
    assert listed["m@2"].startswith(reason)
    assert reg.get("m").version == 3 and reg.get("m@1").load_model() is not None
    with pytest.raises(RegistryError, match=rf"m@2 is broken \({reason}.*use a working version"):
        reg.get("m@2")


def test_a_deleted_versions_number_is_never_reused(tmp_path, fitted):
    import shutil

    reg = ModelRegistry(tmp_path)
    for _ in range(3):
        last = _register(reg, fitted[0])
    shutil.rmtree(last.path)  # the user deletes m@3
    assert _register(reg, fitted[0]).version == 4
    for version in (1, 2, 4):
        shutil.rmtree(reg.root / "m" / f"v{version}")  # every version
    assert reg.names() == []
    assert _register(reg, fitted[0]).version == 5


def test_a_killed_train_leaves_a_folder_that_the_next_registration_removes(tmp_path, fitted):
    folder = tmp_path / "models" / "m"
    folder.mkdir(parents=True)
    killed = folder / f".version.tmp-999999999-{'0' * 32}"  # its process no longer runs
    killed.mkdir()
    (killed / "model.pkl").write_bytes(b"half a model")
    (folder / "notes.txt").write_text("mine")
    record = _register(ModelRegistry(tmp_path), fitted[0])
    assert sorted(p.name for p in folder.iterdir()) == [".last-version", "notes.txt", "v1"]
    assert record.version == 1


def _cut_short(path):
    data = (path / "model.pkl").read_bytes()
    (path / "model.pkl").write_bytes(data[: len(data) // 2])


def test_asking_for_a_broken_version_suggests_only_versions_that_work(tmp_path, fitted):
    reg = ModelRegistry(tmp_path)
    records = [_register(reg, fitted[0]) for _ in range(3)]
    (records[0].path / "config.yaml").unlink()
    _cut_short(records[1].path)

    with pytest.raises(RegistryError) as refused:
        reg.get("m@2")
    assert "use a working version: m@3" in str(refused.value)
    assert "m@1" not in str(refused.value)

    _cut_short(records[2].path)
    with pytest.raises(RegistryError, match=r"m@3 is broken .*\(no other version of 'm' works\)"):
        reg.get("m")


def test_a_truncated_model_file_is_listed_as_broken_without_loading_it(tmp_path, fitted):
    reg = ModelRegistry(tmp_path)
    first, second = _register(reg, fitted[0]), _register(reg, fitted[0])
    _cut_short(second.path)
    listed = {r.ref: r.problem for r in reg.records()}
    assert listed["m@1"] is None
    assert "model.pkl is" in listed["m@2"] and "cut short" in listed["m@2"]

    # versions registered before sizes were recorded: the pickle's first and last bytes
    meta = json.loads((first.path / "metadata.json").read_text())
    del meta["model_bytes"]
    (first.path / "metadata.json").write_text(json.dumps(meta))
    assert reg.get("m@1").load_model() is not None  # a whole file still passes
    _cut_short(first.path)
    assert "not a complete model file" in {r.ref: r.problem for r in reg.records()}["m@1"]


def test_registering_removes_old_style_leftovers_of_killed_trains_and_nothing_else(
    tmp_path, fitted
):
    import os
    import time

    folder = tmp_path / "models" / "m"
    folder.mkdir(parents=True)
    hour_ago = time.time() - 2 * 3600

    def leftover(name, files, age=hour_ago):
        path = folder / name
        path.mkdir()
        for f in files:
            (path / f).write_bytes(b"half")
        os.utime(path, (age, age))
        return path

    old = leftover(f".tmp-{'a' * 32}", ["model.pkl", "config.yaml"])
    recent = leftover(f".tmp-{'b' * 32}", ["model.pkl"], age=time.time())  # may still run
    foreign = leftover(f".tmp-{'c' * 32}", ["model.pkl", "notes.txt"])  # holds a user's file
    other = leftover(".tmp-mine", ["model.pkl"])  # not the exact pattern

    _register(ModelRegistry(tmp_path), fitted[0])

    assert not old.exists()
    assert recent.exists() and foreign.exists() and other.exists()


def test_a_model_scored_again_in_the_same_process_is_loaded_and_parsed_once(tmp_path):
    import os

    from attrition.config import SHIPPED_CONFIGS, load_config
    from attrition.pipeline.train import train
    from attrition.registry import ModelRegistry

    record = train(load_config(SHIPPED_CONFIGS / "flat_rossi.yaml"), home=str(tmp_path)).record
    first = record.load_model()
    again = ModelRegistry(tmp_path).get(record.ref)
    assert again.load_model() is first
    assert again.config is record.config
    # a rewritten file is read afresh, never served stale
    model_file = record.path / "model.pkl"
    stat = model_file.stat()
    os.utime(model_file, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    reloaded = ModelRegistry(tmp_path).get(record.ref).load_model()
    assert reloaded is not first
    assert type(reloaded) is type(first)
