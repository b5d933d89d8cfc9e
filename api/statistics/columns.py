"""The words of a statistics export: each column's header with its unit, each figure's and grouping's name, in
中文 (the default) and English.

A column the report names is looked up here by (figure, column) first, then by column; a header always says its
unit (人, 人次, 个, %), so a table filed on its own still reads right.
"""

from __future__ import annotations

from typing import Literal

Lang = Literal["zh", "en"]
Kind = Literal["text", "count", "share", "number"]  # how a value is written: as is, #,##0, a percentage, 0

UNITS = {"persons": ("人", "persons"), "times": ("人次", "person-times"), "awards": ("个", "awards"),
         "share": ("%", "%")}  # fmt: skip


def _col(zh: str, en: str, unit: str | None = None, kind: Kind = "text") -> tuple[str, str, str | None, Kind]:
    return zh, en, unit, kind


COLUMNS = {
    "region_code": _col("地区代码", "Region code"),
    "region_name": _col("地区", "Region"),
    "prefecture_code": _col("地州代码", "Prefecture code"),
    "prefecture_name": _col("地州", "Prefecture"),
    "south4": _col("南疆四地州", "Southern four prefectures"),
    "level": _col("等级代码", "Level code", kind="number"),
    "level_name": _col("职业技能等级", "Skill level"),
    "occupation_group": _col("职业大类", "Occupation major group"),
    "occupation_code": _col("职业代码", "Occupation code"),
    "occupation_name": _col("职业名称", "Occupation"),
    "gender": _col("性别", "Sex"),
    "age_band": _col("年龄段", "Age band"),
    "year": _col("年份", "Year", kind="number"),
    "mode": _col("培训模式", "Training mode"),
    "talent": _col("技能人才", "Skilled talent", "persons", "count"),
    "high_skill": _col("高技能人才", "High-skill talent", "persons", "count"),
    "high_skill_share": _col("高技能人才占比", "High-skill share", "share", "share"),
    "person_times": _col("职业技能培训", "Training", "times", "count"),
    "persons": _col("人数（按人去重）", "Distinct persons", "persons", "count"),
    "certificates": _col("取证", "Certificates issued", "times", "count"),
    "completions": _col("双证课程结业", "Completions of dual courses", "times", "count"),
    "awards": _col("双证记录", "Dual awards", "awards", "count"),
    "complete_awards": _col("完整双证", "Complete dual awards", "awards", "count"),
    "rate": _col("双证率", "Dual-certificate rate", "share", "share"),
    "first_reached": _col("口径(a) 首次成为高技能人才", "(a) First reached high skill", "persons", "count"),
    "obtained": _col("口径(b) 取得三级及以上证书", "(b) Obtained a level-3-or-above certificate", "persons", "count"),
    "plan_code": _col("计划代码", "Plan code"),
    "name": _col("计划名称", "Plan"),
    "metric": _col("指标（单位）", "Metric (unit)"),
    "jurisdiction": _col("管辖", "Jurisdiction"),
    "starts_on": _col("开始日期", "Starts on"),
    "ends_on": _col("结束日期", "Ends on"),
    "target": _col("目标", "Target", kind="count"),
    "actual": _col("实际", "Actual", kind="count"),
    "progress": _col("完成率", "Progress", "share", "share"),
    "time_elapsed": _col("时间进度", "Time elapsed", "share", "share"),
    "figure": _col("指标", "Figure"),
    "published_value": _col("公布数", "Published figure", "persons", "count"),
    "source": _col("来源", "Source"),
    "published_on": _col("公布日期", "Published on"),
    "ledger_with_baseline": _col("账本计数（含基线）", "Ledger count with the baseline", "persons", "count"),
    "ledger_without_baseline": _col("账本计数（不含基线）", "Ledger count without the baseline", "persons", "count"),
    "gap": _col("差额（公布数−账本含基线）", "Gap (published − ledger with baseline)", "persons", "count"),
    "gap_share": _col("差额占公布数", "Gap as a share of the published figure", "share", "share"),
}
_BY_FIGURE = {
    ("training", "persons"): _col("培训人数（按人去重）", "Persons trained (distinct)", "persons", "count"),
    ("certificates", "persons"): _col("取证人数（按人去重）", "Persons certified (distinct)", "persons", "count"),
}
FIGURES = {
    "talent": ("技能人才", "talent"),
    "training": ("职业技能培训", "training"),
    "certificates": ("取证", "certificates"),
    "dual": ("双证书", "dual"),
    "new_high_skill": ("新增高技能人才", "new-high-skill"),
    "plan_progress": ("规划目标进度", "plan-progress"),
    "reconciliation": ("统计调查对照", "reconciliation"),
}
GROUPINGS = {"region": ("区县", "region"), "prefecture": ("地州", "prefecture"), "south4": ("南疆四地州", "south4"),
             "level": ("等级", "level"), "occupation_group": ("职业大类", "occupation-group"),
             "occupation": ("职业", "occupation"), "gender": ("性别", "sex"), "age_band": ("年龄段", "age"),
             "year": ("年份", "year"), "mode": ("培训模式", "mode")}  # fmt: skip
METRICS = {"training_person_times": ("职业技能培训（人次）", "training (person-times)"),
           "training_persons": ("培训人数（人）", "persons trained (persons)"),
           "talent": ("技能人才（人）", "skilled talent (persons)"),
           "high_skill": ("高技能人才（人）", "high-skill talent (persons)"),
           "certificates": ("取证（人次）", "certificates issued (certificates)")}  # fmt: skip
JURISDICTIONS = {"all": ("全疆", "Xinjiang, XPCC included"), "zizhiqu": ("全区不含兵团", "the region, XPCC excluded"),
                 "bingtuan": ("兵团", "XPCC")}  # fmt: skip


def _entry(figure: str, column: str) -> tuple[str, str, str | None, Kind]:
    return _BY_FIGURE.get((figure, column)) or COLUMNS.get(column) or _col(column, column)


def header(figure: str, column: str, lang: Lang) -> str:
    """The column's header with its unit: 技能人才（人）, Training (person-times), 高技能人才占比（%）."""
    zh, en, unit, _ = _entry(figure, column)
    if unit is None:
        return zh if lang == "zh" else en
    words = UNITS[unit]
    return f"{zh}（{words[0]}）" if lang == "zh" else f"{en} ({words[1]})"


def kind(figure: str, column: str) -> Kind:
    return _entry(figure, column)[3]


def value(column: str, raw: object, lang: Lang) -> object:
    """A text value as the reader sees it: a plan's metric with its unit, a jurisdiction by name."""
    pick = 0 if lang == "zh" else 1
    if column == "metric" and isinstance(raw, str) and raw in METRICS:
        return METRICS[raw][pick]
    if column == "jurisdiction" and isinstance(raw, str) and raw in JURISDICTIONS:
        return JURISDICTIONS[raw][pick]
    return raw


def figure_name(figure: str, lang: Lang) -> str:
    zh, en = FIGURES.get(figure, (figure, figure))
    return zh if lang == "zh" else en


def grouping_name(dims: tuple[str, ...], lang: Lang) -> str:
    """按地州和性别 / by-prefecture-sex; empty without a grouping."""
    if not dims:
        return ""
    names = [GROUPINGS.get(d, (d, d))[0 if lang == "zh" else 1] for d in dims]
    return "按" + "和".join(names) if lang == "zh" else "by-" + "-".join(names)


def bilingual(text: str, lang: Lang) -> str:
    """One side of a rule written `中文 / English`."""
    zh, sep, en = text.partition(" / ")
    return (zh if lang == "zh" else en) if sep else text
