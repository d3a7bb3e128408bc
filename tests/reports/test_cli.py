"""`attrition reports run` as a user runs it."""

from __future__ import annotations

from typer.testing import CliRunner

from attrition.cli import app


def test_reports_run_writes_one_pdf_per_branch_and_says_where(report_bank, tmp_path, monkeypatch):
    home, _url, config, data, _runs = report_bank
    monkeypatch.setenv("ATTRITION_HOME", str(home))
    out = tmp_path / "pdfs"
    result = CliRunner().invoke(
        app, ["reports", "run", "branch_en", "--config", str(config), "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    branches = sorted(data["branches"]["branch_id"])
    assert sorted(p.name for p in out.glob("*.pdf")) == [
        f"branch_en-{b}-2026-09-en.pdf" for b in branches
    ]
    assert f"{len(branches)} PDF(s) in {out}" in " ".join(result.output.split())
    # a folder holding someone else's files is refused, and left as it was
    theirs = tmp_path / "theirs"
    theirs.mkdir()
    (theirs / "notes.txt").write_text("mine")
    result = CliRunner().invoke(
        app, ["reports", "run", "hr_en", "--config", str(config), "--out", str(theirs)]
    )
    assert result.exit_code == 1 and "is not empty" in " ".join(result.output.split())
    assert [p.name for p in theirs.iterdir()] == ["notes.txt"]


def test_reports_run_names_an_unknown_report_and_a_store_without_runs(
    report_bank, tmp_path, monkeypatch
):
    _home, _url, config, _data, _runs = report_bank
    monkeypatch.setenv("ATTRITION_HOME", str(tmp_path))
    result = CliRunner().invoke(app, ["reports", "run", "weekly", "--config", str(config)])
    assert result.exit_code == 1
    assert "no report 'weekly'" in result.output and "branch_en" in result.output
    from attrition.store import upgrade_store

    upgrade_store(f"sqlite:///{tmp_path / 'attrition.db'}")
    result = CliRunner().invoke(
        app, ["reports", "run", "branch_en", "--config", str(config), "--out", str(tmp_path / "o")]
    )
    assert result.exit_code == 1
    assert "no complete scoring run" in " ".join(result.output.split())
