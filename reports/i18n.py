"""The reports' words and numbers in English and Chinese, and names masked for print.

Feature labels and driver texts come from the catalogue (stored with each score in
both languages), actions from the playbook; this module holds only the reports' own
headings and the way money, shares and months are written.
"""

from __future__ import annotations

import math
import unicodedata

from reports.config import Language, ReportSpec

TEXT: dict[str, dict[Language, str]] = {
    "branch_title": {"en": "Clients at risk of moving assets out", "zh": "客户资产流失风险名单"},
    "hr_title": {"en": "Relationship-manager flight risk", "zh": "客户经理离职风险报告"},
    "as_of": {"en": "As of", "zh": "数据截至"},
    "model": {"en": "Model", "zh": "模型"},
    "page": {"en": "Page", "zh": "第"},
    "of": {"en": "of", "zh": "页，共"},
    "pages_end": {"en": "", "zh": "页"},
    "confidential_branch": {
        "en": "Confidential: client information for the branch head of {branch} only",
        "zh": "机密：仅限{branch}支行行长阅读的客户信息",
    },
    "confidential_hr": {
        "en": "HR-confidential: for the HR team only",
        "zh": "人力资源机密：仅限人力资源部阅读",
    },
    "headline": {"en": "At a glance", "zh": "概览"},
    "tier": {"en": "Tier", "zh": "风险等级"},
    "high": {"en": "High", "zh": "高"},
    "medium": {"en": "Medium", "zh": "中"},
    "low": {"en": "Low", "zh": "低"},
    "all": {"en": "All", "zh": "合计"},
    "clients": {"en": "Clients", "zh": "客户数"},
    "aum": {"en": "AUM", "zh": "资产规模"},
    "value_at_risk": {"en": "Value at risk", "zh": "风险资产"},
    "change": {"en": "Change since {month}", "zh": "较{month}变化"},
    "no_previous": {"en": "No earlier run to compare with.", "zh": "无可比较的上期数据。"},
    "ranked": {"en": "Clients to act on, by value at risk", "zh": "需跟进客户（按风险资产排序）"},
    "more_not_listed": {
        "en": "{n} more clients in these tiers are not listed (value at risk {value}).",
        "zh": "另有{n}位同等级客户未列出（风险资产{value}）。",
    },
    "none_listed": {"en": "No client is in these tiers.", "zh": "没有处于这些风险等级的客户。"},
    "client": {"en": "Client", "zh": "客户"},
    "rm": {"en": "RM", "zh": "客户经理"},
    "segment": {"en": "Segment", "zh": "客群"},
    "risk_3m": {"en": "Risk in 3 months", "zh": "3个月流失概率"},
    "why": {"en": "Why", "zh": "主要原因"},
    "action": {"en": "Suggested action", "zh": "建议行动"},
    "plan": {"en": "This week's contacts", "zh": "本周联系计划"},
    "plan_rm": {"en": "Planned contacts", "zh": "计划联系"},
    "plan_retained": {"en": "AUM expected to be kept", "zh": "预计可保留资产"},
    "remote_team": {"en": "Sent to the remote RM team", "zh": "转交远程客户经理团队"},
    "to_branch_head": {
        "en": "For you to reassign or visit",
        "zh": "需您重新分配或陪同拜访",
    },
    "waiting": {"en": "Waiting for next week", "zh": "顺延至下周"},
    "no_plan": {
        "en": "No contact plan is stored with this run.",
        "zh": "本期评分未保存联系计划。",
    },
    "rm_exposed": {
        "en": "Clients whose RM is at risk or has left",
        "zh": "客户经理有离职风险或已离职的客户",
    },
    "rm_left": {"en": "RM has left", "zh": "客户经理已离职"},
    "rm_at_risk": {"en": "RM at high flight risk", "zh": "客户经理离职风险高"},
    "none_exposed": {
        "en": "No client's RM is at high risk or has left.",
        "zh": "没有客户的客户经理处于高离职风险或已离职。",
    },
    "last_list": {"en": "How the last list fared", "zh": "上期名单跟踪"},
    "last_list_text": {
        "en": "Of the {listed} clients listed at {month}, {moved} have moved their assets "
        "out since ({months} months of follow-up).",
        "zh": "{month}名单中的{listed}位客户，此后{months}个月内有{moved}位资产流出。",
    },
    "last_list_wait": {
        "en": "The list of {month} cannot be judged yet: the bank's data has no month after it.",
        "zh": "{month}名单暂无法评估：尚无其后月份的数据。",
    },
    "contacted": {"en": "Contacted", "zh": "已联系"},
    "not_contacted": {"en": "Not contacted", "zh": "未联系"},
    "moved_out": {"en": "Moved assets out", "zh": "资产流出"},
    "share_moved": {"en": "Share moved out", "zh": "流出比例"},
    "charts": {"en": "Charts", "zh": "图表"},
    "chart_risk": {"en": "Risk in 3 months, all clients", "zh": "3个月流失概率分布（全部客户）"},
    "chart_segment": {"en": "Value at risk by segment", "zh": "各客群风险资产"},
    "chart_trend": {"en": "Value at risk over the runs", "zh": "历次评分的风险资产"},
    "share_of_clients": {"en": "Clients", "zh": "客户数"},
    "probability_note": {
        "en": "Risks are model probabilities, not certainties. Value at risk is the "
        "probability of outflow within 3 months times the client's AUM.",
        "zh": "风险为模型估计的概率，并非定论。风险资产 = 3个月内流失概率 × 客户资产。",
    },
    "masked_note": {
        "en": "Names are masked; the client id identifies each client in the CRM.",
        "zh": "姓名已脱敏，可凭客户号在CRM中查找。",
    },
    "no_data": {"en": "no data", "zh": "无数据"},
    "card_title": {"en": "Model card", "zh": "模型说明卡"},
    "predicted": {"en": "Predicted risk in {horizon} months", "zh": "预测{horizon}个月风险"},
    "observed": {
        "en": "Observed risk in {horizon} months (Kaplan–Meier)",
        "zh": "实际{horizon}个月风险（Kaplan–Meier）",
    },
    "months": {"en": "Months after the as-of month", "zh": "数据截至月后的月数"},
    "without_event": {"en": "Share without the event", "zh": "未发生事件的比例"},
    "card_facts": {"en": "The model", "zh": "模型信息"},
    "card_config": {"en": "The config as run", "zh": "训练配置"},
    "card_metrics": {
        "en": "Holdout metrics against the Cox baseline of the same run",
        "zh": "测试集指标（对比同次训练的Cox基线）",
    },
    "horizon_months": {"en": "Horizon (months)", "zh": "预测期（月）"},
    "metric": {"en": "Metric", "zh": "指标"},
    "baseline": {"en": "Cox baseline", "zh": "Cox基线"},
    "difference": {"en": "Difference", "zh": "差值"},
    "card_calibration": {"en": "Calibration on the holdout", "zh": "测试集校准"},
    "card_km": {
        "en": "Kaplan–Meier by tier on the holdout",
        "zh": "测试集各风险等级的Kaplan–Meier曲线",
    },
    "card_importance": {
        "en": "Global importance: mean absolute SHAP contribution (percentage points of risk)",
        "zh": "全局重要性：平均SHAP绝对贡献（风险百分点）",
    },
    "feature": {"en": "Feature", "zh": "特征"},
    "mail_attached": {
        "en": "The full report is attached (PDF). It is confidential: do not forward it.",
        "zh": "完整报告见附件（PDF），内容机密，请勿转发。",
    },
    "model_warning": {"en": "Read with care:", "zh": "请谨慎参考："},
    "and_more": {"en": "and {n} more", "zh": "另{n}位"},
    "review_statement": {
        "en": "These scores are probabilities estimated by a model. They are for a person "
        "to review with the RM's manager, never a decision on their own: no RM is to be "
        "judged, rated or treated differently because of a score.",
        "zh": "以下分数是模型估计的概率，仅供人力资源与直属主管人工复核参考，不能单独作为任何决定"
        "的依据；不得因分数对任何客户经理作出评价或区别对待。",
    },
    "ranked_rms": {"en": "RMs at risk of resigning", "zh": "有离职风险的客户经理"},
    "cutoffs": {"en": "Listed only with {rules}.", "zh": "仅列出{rules}的客户。"},
    "cutoffs_rm": {"en": "Listed only with {rules}.", "zh": "仅列出{rules}的客户经理。"},
    "cutoff_risk": {
        "en": "a risk in 3 months of at least {risk}",
        "zh": "3个月流失概率不低于{risk}",
    },
    "cutoff_value": {"en": "a value at risk of at least {value}", "zh": "风险资产不低于{value}"},
    "cutoff_value_rm": {
        "en": "a book AUM exposed of at least {value}",
        "zh": "涉及管户资产不低于{value}",
    },
    "cutoff_and": {"en": " and ", "zh": "且"},
    "more_rms_not_listed": {
        "en": "{n} more RMs in these tiers are not listed (book AUM exposed {value}).",
        "zh": "另有{n}位同等级客户经理未列出（涉及管户资产{value}）。",
    },
    "none_rms": {"en": "No RM is in these tiers.", "zh": "没有处于这些风险等级的客户经理。"},
    "branch": {"en": "Branch", "zh": "支行"},
    "grade": {"en": "Grade", "zh": "职级"},
    "risk_12m": {"en": "Risk in 12 months", "zh": "12个月离职概率"},
    "rm_risk_3m": {"en": "Risk in 3 months", "zh": "3个月离职概率"},
    "book_size": {"en": "Clients", "zh": "管户数"},
    "book_aum": {"en": "Book AUM", "zh": "管户资产"},
    "exposed": {"en": "AUM exposed", "zh": "风险敞口"},
    "exposed_note": {
        "en": "AUM exposed: the flight risk in 3 months times the part of the RM's book "
        "expected to leave with them.",
        "zh": "风险敞口 = 3个月离职概率 × 预计随客户经理流失的管户资产。",
    },
    "by_branch": {"en": "By branch", "zh": "按支行"},
    "by_grade": {"en": "By grade", "zh": "按职级"},
    "rms": {"en": "RMs", "zh": "客户经理数"},
    "mean_risk": {"en": "Mean risk in 3 months", "zh": "平均3个月离职概率"},
    "chart_workload": {
        "en": "Book size against capacity ({capacity:.0f} clients)",
        "zh": "管户数与可服务能力（{capacity:.0f}户）",
    },
    "chart_workload_plain": {"en": "Book size", "zh": "管户数"},
    "capacity": {"en": "Capacity", "zh": "可服务能力"},
    "retention": {"en": "Suggested retention action", "zh": "建议保留措施"},
}


def text(key: str, lang: Language, **values: object) -> str:
    """A report phrase in ``lang``, with ``values`` filled in."""
    return TEXT[key][lang].format(**values)


def cutoff_note(spec: ReportSpec, entity: str) -> str:
    """The report's own list cut-offs in words (empty when it has none)."""
    lang, rm = spec.language, entity == "rm"
    rules = []
    if spec.min_risk_3m is not None:
        rules.append(text("cutoff_risk", lang, risk=share(spec.min_risk_3m)))
    if spec.min_value_at_risk is not None:
        key = "cutoff_value_rm" if rm else "cutoff_value"
        rules.append(text(key, lang, value=money(spec.min_value_at_risk, lang)))
    if not rules:
        return ""
    return text("cutoffs_rm" if rm else "cutoffs", lang, rules=text("cutoff_and", lang).join(rules))


def money(value: float | None, lang: Language) -> str:
    """An amount as a manager reads it: 12.3M / 1,234.5万 (None and NaN: a dash)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if lang == "zh":
        if abs(value) >= 1e8:
            return f"{value / 1e8:,.2f}亿"
        if abs(value) >= 1e4:
            return f"{value / 1e4:,.1f}万"
        return f"{value:,.0f}"
    for size, unit in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= size:
            return f"{value / size:,.1f}{unit}"
    return f"{value:,.0f}"


def share(value: float | None) -> str:
    """A probability or share as a whole percentage (under 1%: one decimal)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    pct = 100 * value
    return f"{pct:.1f}%" if 0 < pct < 1 else f"{pct:.0f}%"


def signed_money(value: float | None, lang: Language) -> str:
    """A change of an amount, with its sign (+1.2M / −3.4万)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    sign = "+" if value > 0 else "−" if value < 0 else "±"
    return sign + money(abs(value), lang)


def signed_count(value: int | None) -> str:
    """A change of a count, with its sign."""
    if value is None:
        return "–"
    return f"+{value}" if value > 0 else f"−{-value}" if value < 0 else "±0"


def _is_cjk(ch: str) -> bool:
    return unicodedata.name(ch, "").startswith(("CJK UNIFIED", "CJK COMPATIBILITY"))


def mask_name(name: str | None) -> str:
    """A name as a report prints it by default: 张*明, 王*, J*** S****.

    Chinese names keep their first and last character (the surname and one given
    character, as Chinese banks print them); other names keep each word's initial.
    A missing name stays empty.
    """
    if name is None or (isinstance(name, float) and math.isnan(name)):
        return ""
    name = str(name).strip()
    if not name:
        return ""
    if any(_is_cjk(c) for c in name):
        chars = [c for c in name if not c.isspace()]
        if len(chars) == 1:
            return "*"
        if len(chars) == 2:
            return chars[0] + "*"
        return chars[0] + "*" * (len(chars) - 2) + chars[-1]
    return " ".join(w[0] + "*" * (len(w) - 1) for w in name.split())
