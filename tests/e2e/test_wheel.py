"""The product as a bank installs it: a wheel in a fresh virtualenv, run from another
folder, finds its playbook, feature specs and configs as package data."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _run(cmd: list[str], cwd: Path, env: dict[str, str] | None = None) -> str:
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, f"{cmd}\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout + proc.stderr


def test_a_wheel_installed_in_a_fresh_venv_scores_from_another_folder(tmp_path):
    from attrition.config import parse_config
    from attrition.io import write_tables
    from attrition.pipeline.train import train
    from attrition.synthetic import GeneratorConfig, generate_bank

    # build from a copy: a build writes build/ and *.egg-info beside the sources
    source = tmp_path / "source"
    skip = (".git", ".venv", "var", "build", "dist", "*.egg-info", "__pycache__", ".*_cache")
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(*skip))
    dist = tmp_path / "dist"
    _run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
         "-w", str(dist), str(source)],
        cwd=tmp_path,
    )
    (wheel,) = dist.glob("attrition-*.whl")
    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", str(venv)], cwd=tmp_path)
    # the dependencies come from this environment's site-packages (no network here);
    # a path line in a .pth does not run that folder's own .pth files, so the editable
    # install of the checkout stays out of the fresh venv
    purelib = Path(sysconfig.get_paths(vars={"base": str(venv)})["purelib"])
    (purelib / "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    _run([str(venv / "bin" / "pip"), "install", "-q", "--no-deps", "--no-index", str(wheel)],
         cwd=tmp_path)

    # a small bank with a client and an RM model trained on it
    bank = generate_bank(config=GeneratorConfig(n_clients=2400, seed=4, clients_per_rm=60))
    home = tmp_path / "home"
    write_tables(bank.data.tables, home / "bank")
    for target, model in (("client_outflow", "xgb_cox"), ("rm_resignation", "coxph")):
        train(
            parse_config(
                {"name": target, "target": target, "seed": 3, "model": {"type": model},
                 "landmarks": {"count": 6, "step": 3, "holdout": 2},
                 "data": {"source": str(home / "bank")}}
            ),
            home=str(home),
        )

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {**os.environ, "ATTRITION_HOME": str(home), "COLUMNS": "500"}  # no wrapped paths
    env.pop("PYTHONPATH", None)
    where = _run(
        [str(venv / "bin" / "python"), "-c", "import attrition; print(attrition.__file__)"],
        cwd=elsewhere, env=env,
    )
    assert str(purelib) in where and str(ROOT) not in where
    checked = _run([str(venv / "bin" / "attrition"), "playbook", "check"], cwd=elsewhere, env=env)
    assert "is valid" in checked and str(purelib) in " ".join(checked.split())
    out = elsewhere / "scores.parquet"
    scored = _run(
        [str(venv / "bin" / "attrition"), "score", "--source", str(home / "bank"),
         "--out", str(out)],
        cwd=elsewhere, env=env,
    )
    assert out.is_file() and "Scores at" in scored
