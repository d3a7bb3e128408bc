"""What a command must never do: delete the user's files, crash after the work, leave
temporaries behind, hide models, or depend on the working folder."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

import attrition
from attrition.cli import app

runner = CliRunner()


def _said(result) -> str:
    """What the command printed, with the console's line wrapping undone."""
    return " ".join(result.output.split())


def _user_folder(path: Path) -> dict[str, bytes]:
    """A folder of the user's own files; returns them for comparison."""
    (path / "sub").mkdir(parents=True)
    (path / "notes.txt").write_text("mine")
    (path / "sub" / "data.csv").write_text("a,b\n1,2\n")
    return _snapshot(path)


def _snapshot(path: Path) -> dict[str, bytes]:
    return {p.relative_to(path).as_posix(): p.read_bytes() for p in path.rglob("*") if p.is_file()}


def test_generate_into_a_folder_with_other_files_is_refused(tmp_path):
    out = tmp_path / "mine"
    before = _user_folder(out)
    result = runner.invoke(app, ["generate", "--out", str(out), "--clients", "300"])
    assert result.exit_code == 1
    assert "not empty" in _said(result) and "--force" in _said(result)
    assert "Traceback" not in result.output
    assert _snapshot(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine"]


def test_generate_with_force_into_a_folder_with_other_files_keeps_them(tmp_path):
    out = tmp_path / "mine"
    before = _user_folder(out)
    args = ["generate", "--out", str(out), "--clients", "300", "--months", "14", "--force"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    after = _snapshot(out)
    assert {k: after[k] for k in before} == before
    assert (out / "clients.parquet").is_file() and (out / "truth" / "rm_hazard.parquet").is_file()

    # now a previous output: generating again needs no --force and still keeps them
    result = runner.invoke(app, args[:-1])
    assert result.exit_code == 0, result.output
    assert {k: _snapshot(out)[k] for k in before} == before


@pytest.mark.parametrize(
    "command",
    [
        pytest.param(["score"], id="score"),
        pytest.param(["plan", "--as-of", "2024-01"], id="plan"),
        pytest.param(
            ["features", "--source", "nowhere", "--as-of", "2024-01", "--entity", "rm"],
            id="features",
        ),
    ],
)
def test_out_naming_a_folder_is_refused_before_any_work(command, tmp_path, monkeypatch):
    monkeypatch.setenv("ATTRITION_HOME", str(tmp_path / "home"))  # no models, no scores
    folder = tmp_path / "results"
    folder.mkdir()
    result = runner.invoke(app, [*command, "--out", str(folder)])
    assert result.exit_code == 1
    # refused for the folder, not for the missing models, scores or source it would need
    assert "is a folder; pass a file path" in _said(result)
    assert "Traceback" not in result.output
    assert list(folder.iterdir()) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["results"]


@pytest.mark.skipif(not os.path.isdir("/proc"), reason="needs Linux /proc")
@pytest.mark.parametrize(
    "command",
    [
        pytest.param(["score"], id="score"),
        pytest.param(["plan", "--as-of", "2024-01"], id="plan"),
        pytest.param(
            ["features", "--source", "nowhere", "--as-of", "2024-01", "--entity", "rm"],
            id="features",
        ),
    ],
)
def test_out_where_no_file_can_be_written_is_refused_before_any_work(
    command, tmp_path, monkeypatch
):
    monkeypatch.setenv("ATTRITION_HOME", str(tmp_path / "home"))  # no models, no scores
    result = runner.invoke(app, [*command, "--out", "/proc/b.parquet"])
    assert result.exit_code == 1
    # refused for the place, not for the missing models, scores or source it would need
    assert "cannot write /proc/b.parquet: the folder /proc does not accept new files" in _said(
        result
    )
    assert "Traceback" not in result.output
    assert list(tmp_path.iterdir()) == []


def test_demo_into_a_folder_with_other_files_is_refused_before_the_first_step(tmp_path):
    before = _user_folder(tmp_path / "demo" / "bank")
    result = runner.invoke(app, ["demo", "--out", str(tmp_path / "demo"), "--clients", "300"])
    assert result.exit_code == 1
    assert "not empty" in _said(result) and "Generate a synthetic bank" not in _said(result)
    assert _snapshot(tmp_path / "demo" / "bank") == before


def test_demo_with_a_stray_folder_named_as_its_scores_file_is_refused_before_the_first_step(
    tmp_path,
):
    stray = tmp_path / "demo" / "scores" / "scores_2026-09.parquet"  # the bank's last month
    stray.mkdir(parents=True)
    (stray / "mine.txt").write_text("mine")
    result = runner.invoke(app, ["demo", "--out", str(tmp_path / "demo"), "--clients", "300"])
    assert result.exit_code == 1
    said = _said(result)
    assert "2026-09.parquet: a folder of that name is in the way" in said
    assert "move or rename that folder" in said and "pass a file path" not in said
    assert "Generate a synthetic bank" not in said
    assert (stray / "mine.txt").read_text() == "mine"
    assert sorted(p.name for p in (tmp_path / "demo").iterdir()) == ["scores"]


def test_demo_with_a_file_where_its_models_folder_goes_is_refused_before_the_first_step(
    tmp_path,
):
    (tmp_path / "demo").mkdir()
    (tmp_path / "demo" / "models").write_text("mine")
    result = runner.invoke(app, ["demo", "--out", str(tmp_path / "demo"), "--clients", "300"])
    assert result.exit_code == 1
    said = _said(result)
    assert "models is a file, not a folder" in said and "Generate a synthetic bank" not in said
    assert (tmp_path / "demo" / "models").read_text() == "mine"


def test_demo_scores_the_month_its_check_covers(small_bank):
    from attrition.cli.demo import demo_scores_path

    last = small_bank.data.last_month  # what the demo scores at
    assert demo_scores_path(Path("d")) == Path("d") / "scores" / f"scores_{last}.parquet"


def test_demo_finds_its_configs_from_another_working_folder(tmp_path, monkeypatch):
    from attrition.cli.demo import check_demo

    monkeypatch.chdir(tmp_path)
    configs, book = check_demo(Path("demo"))
    assert {name: c.name for name, c in configs.items()} == {
        "rm_resignation": "rm_resignation",
        "client_outflow": "client_outflow",
    }
    assert book.rules
    assert not Path("demo").exists()  # checking writes nothing


def test_playbook_check_runs_from_another_working_folder(tmp_path):
    """A separate process whose working folder is not the repository reads the shipped playbook."""
    code = "from attrition.cli import app; app(['playbook', 'check'])"
    env = {**os.environ, "PYTHONPATH": str(Path(attrition.__file__).resolve().parents[1])}
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert "is valid" in done.stderr and "playbook.yaml" in done.stderr


def _registry_with_three_versions(home: Path) -> None:
    import numpy as np
    import pandas as pd

    from attrition.registry import ModelRegistry
    from survival.cox import CoxPHSurvival

    rng = np.random.default_rng(0)
    df = pd.DataFrame({"x": rng.normal(size=100), "duration": rng.integers(1, 12, 100), "event": 1})
    model = CoxPHSurvival().fit(df)
    for _ in range(3):
        ModelRegistry(home).register(
            "m",
            model=model,
            config_yaml="name: m\ntarget: flat\nmodel: {type: coxph}\n"
            "data: {path: t.csv, id: id, duration: duration, event: event}\n",
            metadata={"target": "flat", "model_label": "model:coxph", "n_train": 100},
            metrics=pd.DataFrame({"model": ["model:coxph"], "c_harrell": [0.61]}),
        )


def test_models_list_with_a_broken_version_lists_it_and_every_other(tmp_path, monkeypatch):
    monkeypatch.setenv("ATTRITION_HOME", str(tmp_path))
    _registry_with_three_versions(tmp_path)
    (tmp_path / "models" / "m" / "v2" / "metadata.json").write_text("{not json")
    result = runner.invoke(app, ["models", "list"])
    assert result.exit_code == 0, result.output
    said = _said(result)
    assert "m@1" in said and "m@3" in said and "0.610" in said
    assert "m@2" in said and "broken: metadata.json unreadable" in said


def test_models_list_with_a_truncated_model_file_lists_it_as_broken(tmp_path, monkeypatch):
    monkeypatch.setenv("ATTRITION_HOME", str(tmp_path))
    _registry_with_three_versions(tmp_path)
    pkl = tmp_path / "models" / "m" / "v3" / "model.pkl"
    pkl.write_bytes(pkl.read_bytes()[:100])
    result = runner.invoke(app, ["models", "list"])
    assert result.exit_code == 0, result.output
    said = _said(result)
    assert "m@3" in said and "broken: model.pkl is 100 bytes" in said
    assert "models are not loaded here" in said  # what the list checks, said plainly

    result = runner.invoke(app, ["models", "show", "m@3"])
    assert result.exit_code == 1
    assert "use a working version: m@1, m@2" in _said(result)


@pytest.mark.parametrize(
    "command",
    [
        pytest.param(["models", "show", "m@2"], id="show"),
        pytest.param(["evaluate", "--model", "m@2"], id="evaluate"),
    ],
)
def test_show_or_evaluate_of_a_version_without_its_config_is_a_one_line_error(
    command, tmp_path, monkeypatch
):
    monkeypatch.setenv("ATTRITION_HOME", str(tmp_path))
    _registry_with_three_versions(tmp_path)
    (tmp_path / "models" / "m" / "v2" / "config.yaml").unlink()
    result = runner.invoke(app, command)
    assert result.exit_code == 1
    assert "m@2 is broken (config.yaml missing)" in _said(result)
    assert "Traceback" not in result.output
    assert runner.invoke(app, ["models", "show", "m@3"]).exit_code == 0


SMALL_FLAT = """name: rel
target: flat
seed: 7
data: {path: ../rossi.csv, id: person_id, duration: week, event: arrest, categorical: [race]}
horizons: [13, 26]
split: {test_fraction: 0.3}
model: {type: coxph, params: {penalizer: 0.1}}
"""


def _small_flat_workspace(tmp_path: Path) -> Path:
    """work/rossi.csv and work/cfg/rel.yaml (a Cox model on Rossi, about a second)."""
    from attrition.config import SHIPPED_CONFIGS

    work = tmp_path / "work"
    (work / "cfg").mkdir(parents=True)
    (work / "rossi.csv").write_bytes((SHIPPED_CONFIGS / "data" / "rossi.csv").read_bytes())
    (work / "cfg" / "rel.yaml").write_text(SMALL_FLAT)
    return work


@pytest.mark.parametrize(
    "how",
    [
        pytest.param("config", id="relative-path-in-the-config"),
        pytest.param("--source", id="relative-source-option"),
    ],
)
def test_train_with_a_relative_source_then_evaluate_from_another_folder(how, tmp_path, monkeypatch):
    monkeypatch.setenv("ATTRITION_HOME", str(tmp_path / "home"))
    monkeypatch.chdir(_small_flat_workspace(tmp_path))
    extra = ["--source", "rossi.csv"] if how == "--source" else []
    result = runner.invoke(app, ["train", "--config", "cfg/rel.yaml", *extra])
    assert result.exit_code == 0, result.output

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    result = runner.invoke(app, ["evaluate", "--model", "rel"])
    assert result.exit_code == 0, result.output
    assert "rel@1" in result.output


def test_score_after_a_killed_score_removes_what_it_left_and_nothing_else(tmp_path, monkeypatch):
    import pandas as pd

    monkeypatch.setenv("ATTRITION_HOME", str(tmp_path / "home"))
    monkeypatch.chdir(_small_flat_workspace(tmp_path))
    assert runner.invoke(app, ["train", "--config", "cfg/rel.yaml"]).exit_code == 0
    pd.read_csv("rossi.csv").drop(columns=["week", "arrest"]).to_csv("new.csv", index=False)
    killed = Path(f".scores.parquet.tmp-999999999-{'0' * 32}")  # its process is gone
    killed.write_bytes(b"half a file")
    mine = Path(".scores.parquet.bak")
    mine.write_text("the user's")

    args = ["score", "--model", "rel", "--source", "new.csv", "--out", "scores.parquet"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert len(pd.read_parquet("scores.parquet")) == 432
    assert not killed.exists() and mine.read_text() == "the user's"


@pytest.mark.slow
def test_demo_runs_from_another_working_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["demo", "--out", "demo", "--clients", "6000"])
    assert result.exit_code == 0, result.output
    assert list((tmp_path / "demo" / "scores").glob("scores_*.parquet"))


def test_a_data_quality_warning_while_loading_is_a_plain_warning_line_before_the_error(capsys):
    import warnings

    from attrition.cli._app import data_warnings
    from attrition.errors import DataQualityWarning

    message = "2 data quality warning(s) in bank:\n  - a [rule]"
    with (
        pytest.warns(FutureWarning, match="not ours"),  # other warnings pass through
        pytest.raises(ValueError, match="refused"),
        data_warnings(),
    ):
        warnings.warn(message, DataQualityWarning, stacklevel=1)
        warnings.warn(message, DataQualityWarning, stacklevel=1)
        warnings.warn("not ours", FutureWarning, stacklevel=1)
        raise ValueError("refused")
    said = capsys.readouterr().err
    assert said == "Warning: 2 data quality warning(s) in bank:\n  - a [rule]\n"  # once, as text
