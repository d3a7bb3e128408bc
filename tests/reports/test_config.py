"""reports.yaml: every problem named at once; names masked for print."""

from __future__ import annotations

import pytest
import yaml

from attrition.errors import ConfigError
from reports.config import load_reports_config
from reports.i18n import mask_name, money


def _write(tmp_path, raw):
    path = tmp_path / "reports.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return path


def test_the_shipped_reports_config_is_valid():
    from attrition.config import SHIPPED_CONFIGS

    config = load_reports_config(SHIPPED_CONFIGS / "reports.yaml")
    assert config.report("branch_weekly").to == "branch_heads"
    assert config.data.source == str(SHIPPED_CONFIGS / "bank")  # relative to the file


def test_every_problem_of_a_reports_config_is_named_at_once(tmp_path):
    path = _write(
        tmp_path,
        {
            "data": {"source": "bank"},
            "reports": {
                "a": {
                    "kind": "branch_at_risk",
                    "to": "branch_heads",
                    "schedule": {"cron": "0 7 * *", "timezone": "Asia/Shanghai"},
                },
                "b": {"kind": "weekly_pdf", "to": "hr"},
                "c": {"kind": "rm_flight_risk", "to": "branch_heads"},
                "d": {"kind": "branch_at_risk", "to": ["not-an-address"]},
                "e": {
                    "kind": "branch_at_risk",
                    "to": "branch_heads",
                    "schedule": {"cron": "0 7 * * mon", "timezone": "Mars/Olympus"},
                },
                "f": {"kind": "branch_at_risk", "to": "branch_heads", "langauge": "zh"},
                "g": {
                    "kind": "branch_at_risk",
                    "to": "branch_heads",
                    "schedule": {"cron": "0 25 * * *", "timezone": "UTC"},
                },
                "h": {
                    "kind": "branch_at_risk",
                    "to": "branch_heads",
                    "min_risk_3m": 20,  # a percentage where a probability belongs
                    "min_value_at_risk": -1,
                },
            },
        },
    )
    with pytest.raises(ConfigError) as err:
        load_reports_config(path)
    message = str(err.value)
    for expected in (
        "reports.a.schedule",
        "five fields",
        "reports.b.kind",
        "weekly_pdf",
        "reports.c",
        "only branch_at_risk reports go to the branch heads",
        "reports.d.to",
        "reports.e.schedule.timezone",
        "Mars/Olympus",
        "reports.f.langauge",
        "unknown key",
        "reports.g.schedule",
        "cron '0 25 * * *' is not valid",
        "reports.h.min_risk_3m",
        "reports.h.min_value_at_risk",
    ):
        assert expected in message, (expected, message)


def test_a_report_for_hr_needs_the_hr_list_and_an_unknown_report_lists_the_known(tmp_path):
    path = _write(
        tmp_path,
        {
            "data": {"source": "bank"},
            "reports": {"hr_monthly": {"kind": "rm_flight_risk", "to": "hr"}},
        },
    )
    with pytest.raises(ConfigError, match=r"reports\.hr_monthly\.to: hr, but the hr list is empty"):
        load_reports_config(path)
    path = _write(
        tmp_path,
        {
            "data": {"source": "bank"},
            "hr": ["hr@bank.example"],
            "reports": {"hr_monthly": {"kind": "rm_flight_risk", "to": "hr"}},
        },
    )
    with pytest.raises(ConfigError, match=r"no report 'weekly'.*there are: hr_monthly"):
        load_reports_config(path).report("weekly")


@pytest.mark.parametrize(
    ("name", "masked"),
    [
        ("张晓明", "张*明"),
        ("欧阳娜娜", "欧**娜"),
        ("王芳", "王*"),
        ("李", "*"),
        ("John Smith", "J*** S****"),
        ("", ""),
        (None, ""),
    ],
)
def test_names_are_masked_as_chinese_banks_print_them(name, masked):
    assert mask_name(name) == masked


def test_money_reads_as_a_manager_writes_it():
    assert money(12_345_678.0, "en") == "12.3M"
    assert money(12_345_678.0, "zh") == "1,234.6万"
    assert money(3.2e8, "zh") == "3.20亿"
    assert money(float("nan"), "en") == "–"
