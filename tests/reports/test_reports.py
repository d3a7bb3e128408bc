"""The branch and HR reports from a real store: the numbers a manager reads, the PDF
in English and Chinese (read back with poppler), masked names, and the renderer's
time limit."""

from __future__ import annotations

import subprocess

import pytest

from reports.build import documents, render_documents
from reports.config import load_reports_config
from reports.context import load_report_run
from reports.render import PdfJob, render_pdfs
from tests.reports.conftest import pdf_text


@pytest.fixture(scope="module")
def report_run(report_bank):
    from attrition.store import open_store

    _home, url, config, _data, _runs = report_bank
    engine = open_store(url)
    run = load_report_run(engine, load_reports_config(config).data.source)
    engine.dispose()
    return run


def test_the_branch_report_lists_the_right_clients_and_counts(report_bank, report_run):
    home, _url, config, data, runs = report_bank
    spec = load_reports_config(config).report("branch_en")
    docs = documents(report_run, load_reports_config(config), "branch_en", home / "out")
    assert len(docs) == data["branches"]["branch_id"].nunique()
    current, previous = runs["2026-09"].scores, runs["2026-06"].scores
    for doc in docs:
        branch = doc.key
        mine = current[(current["entity_type"] == "client") & (current["branch_id"] == branch)]
        listed = mine[mine["tier"].isin(["high", "medium"])]
        top = listed.sort_values("value_at_risk", ascending=False).head(spec.top)
        # the list: the listed tiers' largest values at risk, in that order
        assert [c.client_id for c in doc.data.clients] == top["id"].tolist()
        # the headline counts every tier, and the change since the run of 2026-06
        before = previous[(previous["entity_type"] == "client") & (previous["branch_id"] == branch)]
        high = doc.data.tiers[0]
        assert high.clients == int((mine["tier"] == "high").sum())
        change = int((mine["tier"] == "high").sum()) - int((before["tier"] == "high").sum())
        assert high.change_clients == (
            f"+{change}" if change > 0 else f"−{-change}" if change < 0 else "±0"
        )
        assert doc.data.tiers[-1].clients == len(mine)
        head = data["branches"].set_index("branch_id").loc[branch, "head_email"]
        assert doc.recipients == ((head,) if isinstance(head, str) else ())


def test_how_the_last_list_fared_is_counted_from_the_balances(report_bank, report_run):
    """Independent of the labels code: a listed client moved out when a month-end after
    2026-06 (up to 2026-09) held at most half the mean AUM of 2026-04..06, or the
    relationship closed in that time."""
    home, _url, config, data, runs = report_bank
    spec = load_reports_config(config).report("branch_en")
    bal = data["monthly_balances"].assign(month=lambda f: f["month"].astype(str))
    ref = (
        bal[bal["month"].isin(["2026-04", "2026-05", "2026-06"])].groupby("client_id")["aum"].mean()
    )
    later = bal[bal["month"].isin(["2026-07", "2026-08", "2026-09"])]
    low = later.assign(ref=later["client_id"].map(ref)).query("aum <= 0.5 * ref")["client_id"]
    closed = data["clients"].set_index("client_id")["closed_date"]
    closed = set(closed[(closed > "2026-06-30") & (closed <= "2026-09-30")].index)
    moved_ids = set(low) | closed
    previous = runs["2026-06"].scores
    checked = 0
    for doc in documents(report_run, load_reports_config(config), "branch_en", home / "out"):
        before = previous[
            (previous["entity_type"] == "client") & (previous["branch_id"] == doc.key)
        ]
        listed = before[before["tier"].isin(["high", "medium"])]
        listed = listed.sort_values("value_at_risk", ascending=False).head(spec.top)
        last = doc.data.last_list
        assert last is not None and last.month == "2026-06" and last.months == 3
        assert last.listed == len(listed)
        assert last.moved == len(set(listed["id"]) & moved_ids)
        contacted = dict((label, (n, m)) for label, n, m, _ in last.rows)["Contacted"]
        seen = set(data["interactions"].query("date > '2026-06-30'")["client_id"])
        assert contacted == (
            len(set(listed["id"]) & seen),
            len(set(listed["id"]) & seen & moved_ids),
        )
        checked += last.moved
    assert checked > 0  # the bank does lose clients: the count is not trivially zero


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_branch_pdf_reads_back_with_names_masked_numbers_and_reasons(
    report_bank, report_run, tmp_path, lang
):
    _home, _url, config, data, _runs = report_bank
    cfg = load_reports_config(config)
    branch = sorted(data["branches"]["branch_id"])[0]
    docs = documents(report_run, cfg, f"branch_{lang}", tmp_path, branch=branch)
    outcomes = render_documents(docs, tmp_path / "pdf")
    assert [o.ok for o in outcomes] == [True]
    pdf = tmp_path / "pdf" / f"branch_{lang}-{branch}-2026-09-{lang}.pdf"
    text = pdf_text(pdf)
    flat = " ".join(text.split())
    report = docs[0].data
    assert report.clients, "the branch has clients to list"
    first = report.clients[0]
    for value in (first.client_id, first.name, first.value_at_risk, first.risk_3m, "2026-09"):
        assert value in flat, value
    for driver in first.drivers[:2]:
        assert " ".join(driver.split())[:12] in flat, driver
    names = data["clients"].set_index("client_id")["name"]
    assert names[first.client_id] not in text  # never the full name by default
    assert (
        first.name
        == names[first.client_id][0]
        + "*" * (len(names[first.client_id]) - 2)
        + names[first.client_id][-1]
    )
    heading = {"en": "Clients at risk of moving assets out", "zh": "客户资产流失风险名单"}[lang]
    assert heading in flat
    pages = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    n_pages = int(
        next(line.split()[-1] for line in pages.splitlines() if line.startswith("Pages:"))
    )
    footer = {"en": f"Page 1 of {n_pages}", "zh": f"第 1 页，共 {n_pages} 页"}[lang]
    assert footer in flat
    fonts = subprocess.run(
        ["pdffonts", str(pdf)], capture_output=True, text=True, check=True
    ).stdout
    if lang == "zh":
        # the Chinese face is in the file (emb = yes), not left to the reader's machine
        cjk = [line for line in fonts.splitlines()[2:] if "CJK-SC" in line.split()[0]]
        assert cjk and all(line.split()[-5] == "yes" for line in cjk), fonts
    png = tmp_path / "page"
    subprocess.run(
        ["pdftoppm", "-png", "-r", "50", "-f", "1", "-l", "1", str(pdf), str(png)], check=True
    )
    assert (tmp_path / "page-1.png").stat().st_size > 5_000
    _no_text_outside_the_page(pdf)


def _no_text_outside_the_page(pdf) -> None:
    """Every word poppler finds lies inside its page box (nothing overflows a cell off
    the page)."""
    import re

    html = subprocess.run(
        ["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    for page in re.finditer(r'<page width="([\d.]+)" height="([\d.]+)">(.*?)</page>', html, re.S):
        width, height = float(page[1]), float(page[2])
        for box in re.finditer(
            r'xMin="([\d.-]+)" yMin="([\d.-]+)" xMax="([\d.-]+)" yMax="([\d.-]+)"', page[3]
        ):
            x0, y0, x1, y1 = map(float, box.groups())
            assert x0 >= 0 and x1 <= width and y0 >= 0 and y1 <= height, (box.group(0), width)


def test_the_hr_report_ranks_rms_and_says_a_person_decides(report_bank, report_run, tmp_path):
    _home, _url, config, data, runs = report_bank
    cfg = load_reports_config(config)
    docs = documents(report_run, cfg, "hr_zh", tmp_path)
    assert [d.recipients for d in docs] == [("hr@bank.example",)]
    report = docs[0].data
    rms = runs["2026-09"].scores.query("entity_type == 'rm'")
    expected = rms.sort_values(["risk_3m", "value_at_risk"], ascending=False)["id"].head(20)
    assert [m.rm_id for m in report.rms] == expected.tolist()
    assert report.more.startswith(f"另有{len(rms) - 20}位")  # the rest counted, in Chinese
    assert sum(g.rms for g in report.by_branch) == int(
        (runs["2026-09"].scores["entity_type"] == "rm").sum()
    )
    outcomes = render_documents(docs, tmp_path / "pdf")
    assert outcomes[0].ok
    text = " ".join(pdf_text(outcomes[0].job.path).split())
    assert "仅供人力资源与直属主管人工复核参考" in text
    # a weak model says so above the list (this small bank's RM model is weak), in
    # the report's language
    warned = rms["model_warning_zh"].dropna().unique()
    assert len(warned) > 0 and all("为弱模型" in w for w in warned)
    for warning in warned:
        assert " ".join(warning.split())[:40] in text
    assert "is a weak model" not in text
    assert report.rms[0].rm_id in text
    clients = set(data["clients"]["client_id"])
    assert not any(word in clients for word in text.split())  # no client in HR's report


def test_a_render_past_its_time_limit_fails_alone_and_leaves_no_file(tmp_path):
    big = (
        "<table>"
        + "".join(f"<tr><td>{i}</td><td>{'x' * 50}</td></tr>" for i in range(60_000))
        + "</table>"
    )
    jobs = [
        PdfJob.of_html("<p>small</p>", tmp_path / "a.pdf", "a"),
        PdfJob.of_html(big, tmp_path / "b.pdf", "b"),
        PdfJob.of_html("<p>small too</p>", tmp_path / "c.pdf", "c"),
    ]
    outcomes = render_pdfs(jobs, time_limit=3, workers=2)
    assert [o.ok for o in outcomes] == [True, False, True]
    assert "time limit" in outcomes[1].error
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.pdf", "c.pdf"]
    assert outcomes[1].seconds < 30  # stopped near its limit, not left to finish


def test_a_render_worker_builds_from_memory_and_never_uses_the_parents_connections(
    report_bank, tmp_path
):
    """The workers fork from the process that read the store: a document whose
    entities were not read first fails with a clear error instead of using the
    parent's database connections; read first (render_batch), it renders."""
    from attrition.store import open_store
    from reports.build import render_batch

    _home, url, config, _data, _runs = report_bank
    cfg = load_reports_config(config)
    engine = open_store(url)
    run = load_report_run(engine, cfg.data.source)  # nothing read beyond the scores
    docs = documents(run, cfg, "branch_en", tmp_path)[:2]
    unread = render_pdfs([d.job() for d in docs], time_limit=60, workers=2)
    assert [o.ok for o in unread] == [False, False]
    assert all("not read before the render workers started" in o.error for o in unread)
    outcomes = render_batch(docs, workers=2)
    engine.dispose()
    assert [o.ok for o in outcomes] == [True, True]
    assert all(d.path.is_file() and d.data.clients for d in docs)


def test_a_reports_own_cut_offs_narrow_its_list_and_say_so(report_bank, report_run, tmp_path):
    """The tiers stay the playbook's; a report may list only entities at or above its
    own risk and value cut-offs, counts the rest, and says so on the page."""
    _home, _url, config, _data, runs = report_bank
    cfg = load_reports_config(config)
    scores = runs["2026-09"].scores
    clients = scores[scores["entity_type"] == "client"]
    tiered = clients[clients["tier"].isin(["high", "medium"])]
    risk, value = float(tiered["risk_3m"].median()), float(tiered["value_at_risk"].median())
    branch_spec = cfg.report("branch_zh").model_copy(
        update={"min_risk_3m": risk, "min_value_at_risk": value, "top": 5}
    )
    cut = cfg.model_copy(update={"reports": {**cfg.reports, "cut_zh": branch_spec}})
    checked = 0
    for doc in documents(report_run, cut, "cut_zh", tmp_path):
        mine = tiered[tiered["branch_id"] == doc.key]
        kept = mine[(mine["risk_3m"] >= risk) & (mine["value_at_risk"] >= value)]
        top = kept.sort_values("value_at_risk", ascending=False).head(5)
        assert [c.client_id for c in doc.data.clients] == top["id"].tolist()
        rest = len(mine) - len(top)
        assert (doc.data.more.startswith(f"另有{rest}位")) if rest else doc.data.more == ""
        assert f"3个月流失概率不低于{risk * 100:.0f}%" in doc.html()
        checked += len(mine) - len(kept)
    assert checked > 0  # the cut-offs did leave tiered clients out
    hr_spec = cfg.report("hr_zh").model_copy(update={"min_value_at_risk": 1.0})
    hr = cfg.model_copy(update={"reports": {"hr_cut": hr_spec}})
    (doc,) = documents(report_run, hr, "hr_cut", tmp_path)
    rms = scores[scores["entity_type"] == "rm"]
    kept = rms[rms["value_at_risk"] >= 1.0].sort_values(
        ["risk_3m", "value_at_risk"], ascending=False
    )
    assert len(kept) < len(rms)  # the cut-off leaves RMs out (those with no book at risk)
    assert [m.rm_id for m in doc.data.rms] == kept["id"].head(hr_spec.top).tolist()
    assert "涉及管户资产不低于1" in doc.html()
