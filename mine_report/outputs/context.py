"""The one typed context the report templates receive, built from the result objects.

Everything a template prints is prepared here as text: numbers with thousands
separators at the KPI's own precision, fiscal years as 令和5年度 / R5, rates through the
grading engine's formatter. Rates, expected values and grades come from the engine's
Evaluation as they are; nothing here recomputes them. Text from departments is passed
as plain strings, and the templates escape it.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from fractions import Fraction

from markupsafe import Markup

from mine_report import __version__
from mine_report.common.errors import FiscalYearError
from mine_report.common.fileio import source_date_epoch
from mine_report.common.fiscal import era_date, format_fiscal_year, parse_date, short_fiscal_year
from mine_report.common.messages import text
from mine_report.common.numbers import (
    NO_VALUE,
    format_actual,
    format_number,
    format_points,
    format_rate,
    kpi_places,
)
from mine_report.grading.config import Rules
from mine_report.grading.grade import Evaluation, KpiGrade, KpiResult, Rollup, to_fraction
from mine_report.grading.merge import Merged
from mine_report.grading.projection import (
    IMPROVED,
    MET_BY_YEAR,
    MISSED_BY_YEAR,
    NO_ACTUAL,
    ON_COURSE,
    REACHED,
    SHORT,
    TOO_FEW,
    UNCHANGED,
    WORSENED,
    KpiOutlook,
    meets,
    outlook,
    period_trend,
)
from mine_report.grading.schemes import RATES, Scheme
from mine_report.outputs.charts import GradeBar, TrendData, grade_bar_chart, trend_chart
from mine_report.outputs.committee import CommitteeInput, Opinion
from mine_report.outputs.review import Review, build_review
from mine_report.plan.model import INTERNAL, PUBLIC, Kpi
from mine_report.round.history import HistoryRow, history_rows

#: Arrows for a grade that moved since the previous year (KpiResult.trend).
ARROWS = {"up": "↑", "down": "↓"}
#: The direction marker printed beside each KPI: which way is better.
DIRECTION_MARKS = {"increase": "↑", "decrease": "↓", "maintain": "→"}
#: Japan time: a report is dated as its readers' calendar says, not UTC's.
JST = dt.timezone(dt.timedelta(hours=9), "JST")
#: Extra decimals an expected value may get so that the printed numbers reproduce the
#: printed rate (a reader checks (a − b)/(e − b) by hand).
MAX_EXTRA_PLACES = 3
#: How a negative rate is printed (`build --negative-sign`): the minus sign as computed,
#: or the Japanese public style △ / ▲.
NEGATIVE_SIGNS = {"minus": "-", "triangle": "△", "black-triangle": "▲"}
#: The whole-period trend of a KPI in words (final evaluation).
PERIOD_TRENDS = {IMPROVED: "改善", UNCHANGED: "横ばい", WORSENED: "悪化"}


# --- formatting --------------------------------------------------------------------------




def report_datetime(day: dt.date | None = None) -> dt.datetime:
    """When the report is issued, in Japan time: midnight of `day` (`build --date`) when
    given, else SOURCE_DATE_EPOCH when set (reproducible), else now. Before 09:00 JST the
    UTC date is still yesterday's, so the date is always taken in JST."""
    if day is not None:
        return dt.datetime.combine(day, dt.time(), tzinfo=JST)
    epoch = source_date_epoch()
    if epoch is not None:
        return epoch.astimezone(JST)
    return dt.datetime.now(JST).replace(microsecond=0)


def signed(text: str, sign: str) -> str:
    """A formatted negative number with `sign` in place of its minus ("-40.0%" → "▲40.0%")."""
    return sign + text[1:] if text.startswith("-") else text


def _shown_rate(kpi: Kpi, actual: Fraction, compared: Fraction, rules: Rules) -> Fraction | None:
    """The rate the engine shows for `actual` against `compared` as the expected value,
    to check printed digits against: Scheme.judge's own shown rate (tolerance included)."""
    baseline = to_fraction(kpi.baseline) if kpi.baseline is not None else None
    _, (rate, _), _ = rules.scheme_for(kpi).judge(actual, baseline, compared,
                                                  to_fraction(kpi.target), kpi.direction)
    return rate


def expected_text(grade: KpiGrade, places: int, rules: Rules) -> str:
    """The expected value with as few decimals (from the KPI's own) as make the printed
    actual, baseline and expected value give the printed rate again: 9.5, not 10, where
    (6 − 7)/(9.5 − 7) = −40 %."""
    if grade.expected is None:
        return NO_VALUE
    if grade.actual is None or grade.progress_rate is None:
        return format_number(grade.expected, places)
    printed = format_rate(grade.progress_rate)
    a = to_fraction(grade.actual)
    for extra in range(MAX_EXTRA_PLACES + 1):
        step = Fraction(1, 10 ** (places + extra))
        # Rounded half-up first; a rate exactly on a rounding half (116.25 %) is only
        # reproduced by the expected value cut off on the right side, so try both.
        for value in (grade.expected, math.floor(grade.expected / step) * step,
                      math.ceil(grade.expected / step) * step):
            shown = format_number(value, places + extra)
            rate = _shown_rate(grade.kpi, a, to_fraction(shown.replace(",", "")), rules)
            if rate is not None and format_rate(rate) == printed:
                return shown
    return format_number(grade.expected, places + MAX_EXTRA_PLACES)


# --- the context --------------------------------------------------------------------------


@dataclass(frozen=True)
class GradeCell:
    """A grade as printed: the scheme's key always, the CSS class adds colour only."""

    letter: str
    css: str
    label: str = ""  # the grade's name in the scheme in force (概ね順調)
    graded: bool = True

    @property
    def name(self) -> str:
        """What a screen reader says instead of a bare letter: 評価B（概ね順調）, or the
        ungraded label (評価不能) for 「－」."""
        if not self.graded:
            return self.label or "評価なし"
        return f"評価{self.letter}（{self.label}）" if self.label else f"評価{self.letter}"


@dataclass(frozen=True)
class KpiRow:
    """One KPI or goal indicator as a table row plus its trend chart."""

    id: str
    name: str
    unit: str
    baseline: str
    baseline_year: str
    actuals: tuple[str, ...]  # one per report year, oldest first
    target: str
    target_year: str
    expected: str
    progress_rate: str
    grade: GradeCell
    previous_grade: GradeCell | None
    arrow: str  # ↑ / ↓ when the grade moved, else ""
    reason: str  # why the grade is 「－」, from the engine
    notes: tuple[str, ...]  # 備考 the department wrote for this KPI
    chart: Markup
    cumulative: bool
    direction: str
    # --- what the committee checks by hand and asks about (defaults keep old callers) ---
    direction_mark: str = ""  # ↑ higher is better, ↓ lower is better, → keep the level
    rate_kind: str = ""  # which rate the rate column shows on this row (進捗率 / 達成率)
    change: str = ""  # 「C→B」 when the grade changed since last year, else ""
    final_rate: str = NO_VALUE  # 目標達成率: against the final target
    latest: str = NO_VALUE  # the latest actual up to the evaluation year
    latest_year: str = ""
    outlook: str = ""  # the outlook sentence (projection or met-by-its-year)
    outlook_short: str = ""  # the same in a word or two, for the compact table
    falls_short: bool = False  # このままでは目標年度に未達の見込み, or missed its own year
    reference: str = ""  # why the grade is only 参考 (no baseline in the plan), else ""
    period_trend: str = ""  # 改善 / 横ばい / 悪化 over the whole period
    achieved: str = ""  # final evaluation: 達成 / 未達 / 「－」 at the end of the period
    target_actual: str = NO_VALUE  # the actual of the target's own year, once it has come
    #: The revisions of the plan values in force for the evaluated year, as sentences.
    revisions: tuple[str, ...] = ()


@dataclass(frozen=True)
class InitiativeRow:
    id: str
    title: str
    schedule: str
    status: str
    text: str


@dataclass(frozen=True)
class KpiGroup:
    """A sub-item under a sheet unit (a 事業 of a 施策 sheet) with its KPIs, shown as a
    heading of its own under the measure's section."""

    heading: str  # 事業1-1-1, as the plan names its level
    title: str
    kpis: tuple[KpiRow, ...]
    #: 1 for the level right under the sheet unit, deeper ones below.
    depth: int = 1


@dataclass(frozen=True)
class MeasureSection:
    id: str
    title: str
    description: str
    submitted: bool
    department: str
    file: str
    grade: GradeCell
    mean_points: str
    counts: dict[str, int]
    kpis: tuple[KpiRow, ...]
    initiatives: tuple[InitiativeRow, ...]
    achievements: str
    issues: str
    outlook: str
    outlook_text: str
    #: A plan whose sheet unit is above the deepest level: the measure's own KPIs, and
    #: its sub-items depth-first with theirs (kpis still lists them all).
    own_kpis: tuple[KpiRow, ...] = ()
    groups: tuple[KpiGroup, ...] = ()


@dataclass(frozen=True)
class PolicySection:
    id: str
    anchor: str
    title: str
    description: str
    grade: GradeCell
    measures: tuple[MeasureSection, ...]
    heading: str = ""  # 戦略方針1-1, as the plan names its level
    goals: tuple[KpiRow, ...] = ()  # its own 数値目標, when the plan sets them there
    #: No middle level in this plan: the measures stand directly under the chapter.
    implicit: bool = False
    #: Its level's name (戦略方針 …), for the verdict line.
    level: str = ""
    #: 1 for the level right under the chapter, 2 and 3 in plans of four or five levels:
    #: the sections follow each other depth-first, and the depth sets the heading level.
    depth: int = 1


@dataclass(frozen=True)
class StrategyChapter:
    id: str
    anchor: str
    heading: str  # 重点戦略1
    title: str
    description: str
    grade: GradeCell
    goals: tuple[KpiRow, ...]
    policies: tuple[PolicySection, ...]
    opinions: tuple[Opinion, ...] = ()  # the committee's opinions on this strategy


@dataclass(frozen=True)
class CountRow:
    """One row of the grade-count table (a strategy, or the total)."""

    label: str
    title: str
    counts: tuple[int, ...]  # in ReportContext.grade_letters order, then 「－」
    total: int
    mean_points: str
    grade: GradeCell


@dataclass(frozen=True)
class ListedKpi:
    """A KPI in the 総括 lists (graded D, or not graded)."""

    id: str
    name: str
    measure: str
    department: str
    detail: str


@dataclass(frozen=True)
class GradeDefinition:
    grade: GradeCell
    label: str
    description: str


@dataclass(frozen=True)
class InputRow:
    name: str
    department: str
    submitter: str
    sha256_short: str
    measures: str


@dataclass(frozen=True)
class DepartmentRow:
    """A reporting department and its measures: what the public edition says of the inputs."""

    department: str
    measures: str


@dataclass(frozen=True)
class WarningRow:
    file: str
    place: str
    code: str
    message: str


@dataclass(frozen=True)
class ReportContext:
    """Everything the report templates print, already formatted."""

    plan_title: str
    municipality: str
    issuer: str
    year: int
    year_label: str  # 令和5年度
    title: str  # 令和5年度 効果検証報告書
    issued_on: str  # 令和6年7月1日
    issued_iso: str  # 2024-07-01T00:00:00Z, for the PDF metadata
    generator: str
    draft: bool
    sample: bool
    report_years: tuple[str, ...]  # column headers for each year's actual: R2 … R5
    grade_letters: tuple[str, ...]  # the scheme's grades, best first (A … D by default)
    ungraded_mark: str  # 「－」 or the scheme's own mark
    count_keys: tuple[str, ...]  # grade_letters, then ungraded_mark: the count columns
    grade_css: Markup  # the badge colours of the scheme (CSS rules)
    rate_name: str  # 進捗率 or 達成率, as the rules in force call it
    rules_text: tuple[str, ...]
    grade_definitions: tuple[GradeDefinition, ...]
    example: tuple[str, ...]
    count_rows: tuple[CountRow, ...]
    total_row: CountRow
    goal_total_row: CountRow
    count_chart: Markup
    goals: tuple[KpiRow, ...]
    graded_d: tuple[ListedKpi, ...]
    not_graded: tuple[ListedKpi, ...]
    strategies: tuple[StrategyChapter, ...]
    inputs: tuple[InputRow, ...]  # empty in the public edition
    warnings: tuple[WarningRow, ...]  # empty in the public edition
    unsubmitted: tuple[tuple[str, str, str], ...]  # (measure id, title, strategy heading)
    left_out: tuple[tuple[str, str], ...]  # empty in the public edition (named by file)
    goal_department: str
    kpi_count: int
    history: tuple[HistoryRow, ...] = ()
    builds: int = 0  # builds of this round so far (round_history.jsonl)
    edition: str = PUBLIC
    departments: tuple[DepartmentRow, ...] = ()
    input_count: int = 0
    #: The plan's name of its top level (each middle level's name is on its sections).
    strategy_level: str = "重点戦略"
    #: The sheet unit as headings name it (Plan.measure_label) and its heading level:
    #: below the chapter (h1) and every middle level's heading (h2, h3 …), h3 at least.
    measure_label: str = "施策"
    measure_heading: int = 3

    @property
    def internal(self) -> bool:
        """Whether this is the internal edition (input files, submitters, hashes, checks)."""
        return self.edition == INTERNAL

    @property
    def appendix_title(self) -> str:
        return "付録　入力ファイルと確認結果" if self.internal else "付録　提出状況"
    #: The summary's answers to the committee (report_review.py).
    review: Review = field(default_factory=Review)
    final: bool = False  # 最終評価: the plan's last year
    period: str = ""  # 令和2年度〜令和6年度
    flags: str = ""  # サンプルデータ・暫定版, printed in every page's running header
    negative_mark: str = "-"  # what stands for minus in printed rates (△ / ▲ / -)


# --- building it ---------------------------------------------------------------------------


def _grade(scheme: Scheme, key: str) -> GradeCell:
    return GradeCell(key, scheme.css_class(key), scheme.grade(key).label,
                     scheme.is_graded(key))


def _float(value: Decimal | Fraction | None) -> float | None:
    return None if value is None else float(value)


_REVISED_FIELDS = (("target", "目標値"), ("target_year", "目標年度"), ("baseline", "基準値"),
                   ("baseline_year", "基準年度"))


def revision_texts(kpi: Kpi, year: int) -> tuple[str, ...]:
    """Each revision of a KPI's plan values in force for `year`, as the report says it:
    when, from which year, what changed (old → new) and why."""
    texts = []
    before = kpi
    places = kpi_places(kpi)
    for r in kpi.revisions_in_force(year):
        after = before
        changes = []
        for name, label in _REVISED_FIELDS:
            new = getattr(r, name)
            if new is None:
                continue
            old = getattr(before, name)
            shown = (short_fiscal_year if name.endswith("year")
                     else lambda v: format_number(v, places))
            changes.append(text("R041", field=label, old=NO_VALUE if old is None else shown(old),
                                new=shown(new)))
            after = replace(after, **{name: new})
        try:
            when = era_date(parse_date(r.date))
        except FiscalYearError:
            when = r.date
        texts.append(text("R040", date=when, year=format_fiscal_year(r.from_year),
                          changes="、".join(changes), reason=r.reason))
        before = after
    return tuple(texts)


_OUTLOOK_SHORT = {REACHED: "達成済み", ON_COURSE: "達成見込み", SHORT: "未達見込み",
                  TOO_FEW: "推計不可"}


def outlook_texts(kpi: Kpi, seen: KpiOutlook, places: int) -> tuple[str, str]:
    """(sentence, short label) for a KPI's outlook, with the method where it projects."""
    target_year = short_fiscal_year(kpi.target_year)
    if seen.kind in (MET_BY_YEAR, MISSED_BY_YEAR, NO_ACTUAL):
        word = {MET_BY_YEAR: "達成", MISSED_BY_YEAR: "未達",
                NO_ACTUAL: "実績値なし"}[seen.kind]
        return f"目標年度（{target_year}）の実績：{word}", f"{target_year}{word}"
    if seen.kind == REACHED:
        return "最新の実績値で目標値に到達しています", _OUTLOOK_SHORT[REACHED]
    if seen.kind == TOO_FEW:
        return (f"計画期間の実績値が{seen.points}点のため、推計していません",
                _OUTLOOK_SHORT[TOO_FEW])
    value = format_number(seen.projected, places)
    line = f"（実績値{seen.points}点の直線推計：{target_year} {value}）"
    if seen.kind == SHORT:
        return "このままでは目標年度に未達の見込み" + line, _OUTLOOK_SHORT[SHORT]
    return "目標年度に達成の見込み" + line, _OUTLOOK_SHORT[ON_COURSE]


def _kpi_row(result: KpiResult, years: Sequence[int], notes: Sequence[str], *,
             scheme: Scheme, rules: Rules, plan_start: int, reference_year: int | None = None,
             final: bool = False, sign: str = "-",
             revisions: tuple[str, ...] = ()) -> KpiRow:
    kpi = result.kpi
    places = kpi_places(kpi)
    current = result.current
    previous = result.previous
    start = plan_start
    seen = outlook(result, start)
    sentence, short = outlook_texts(kpi, seen, places)
    trend_word = PERIOD_TRENDS.get(period_trend(result, start) or "", "")
    achieved = ""
    if final:
        last = seen.latest
        achieved = NO_VALUE if last is None else ("達成" if meets(kpi, last) else "未達")
    change = ""
    if previous is not None and previous.graded and current.graded \
            and previous.grade != current.grade:
        change = f"{previous.grade}→{current.grade}"
    actuals = []
    for year in years:
        graded = result.by_year.get(year)
        actuals.append(format_actual(graded.actual if graded else None, places))
    trend = TrendData(
        baseline=None if kpi.baseline is None else (kpi.baseline_year, float(kpi.baseline)),
        actuals=[(y, _float(result.by_year[y].actual) if y in result.by_year else None)
                 for y in years],
        expected=[(y, float(g.expected)) for y, g in sorted(result.by_year.items())
                  if g.expected is not None],
        target=(kpi.target_year, float(kpi.target)),
        integral=places == 0,
    )
    return KpiRow(
        id=kpi.id,
        name=kpi.name,
        unit=kpi.unit,
        baseline=format_number(kpi.baseline, places),
        baseline_year=short_fiscal_year(kpi.baseline_year),
        actuals=tuple(actuals),
        target=format_number(kpi.target, places),
        target_year=short_fiscal_year(kpi.target_year),
        expected=expected_text(current, places, rules),
        progress_rate=signed(format_rate(current.progress_rate), sign),
        grade=_grade(scheme, current.grade),
        previous_grade=_grade(scheme, previous.grade) if previous else None,
        arrow=ARROWS.get(result.trend or "", ""),
        reason=current.reason,
        # The engine's reason often quotes the 備考 already; print it once.
        notes=tuple(n for n in notes if n not in current.reason),
        chart=trend_chart(trend, label=_chart_text(kpi, years, actuals, places)),
        cumulative=kpi.cumulative,
        direction=kpi.direction,
        direction_mark=DIRECTION_MARKS.get(kpi.direction, ""),
        rate_kind="達成率" if kpi.direction == "maintain" else rules.rate_name,
        change=change,
        final_rate=signed(format_rate(current.final_rate), sign),
        latest=NO_VALUE if seen.latest is None else format_actual(
            result.by_year[seen.latest_year].actual, places),
        latest_year=short_fiscal_year(seen.latest_year) if seen.latest_year else "",
        outlook=sentence,
        outlook_short=short,
        falls_short=seen.falls_short,
        reference=("" if reference_year is None else
                   f"計画に基準値がないため、{short_fiscal_year(reference_year)}の実績値を"
                   "基準値として評価（参考）"),
        period_trend=trend_word,
        achieved=achieved,
        target_actual=format_actual(result.by_year[kpi.target_year].actual, places)
        if kpi.target_year in result.by_year else NO_VALUE,
        revisions=revisions,
    )


def _chart_text(kpi: Kpi, years: Sequence[int], actuals: Sequence[str], places: int) -> str:
    """A trend chart in words, as its alternate text: what a sighted reader takes from it."""
    unit = "" if kpi.unit == NO_VALUE else f"（単位：{kpi.unit}）"
    parts = [f"{kpi.name}の推移{unit}。"]
    if kpi.baseline is not None:
        parts.append(f"基準値 {format_number(kpi.baseline, places)}"
                     f"（{short_fiscal_year(kpi.baseline_year)}）、")
    parts.append("実績 " + "、".join(f"{short_fiscal_year(y)} {a}"
                                    for y, a in zip(years, actuals, strict=True)))
    parts.append(f"、目標値 {format_number(kpi.target, places)}（{short_fiscal_year(kpi.target_year)}）")
    return "".join(parts)


def _count_row(label: str, title: str, rollup: Rollup, scheme: Scheme) -> CountRow:
    counts = tuple(rollup.counts[g] for g in scheme.count_keys)
    return CountRow(label, title, counts, rollup.total, format_points(rollup.mean_points),
                    _grade(scheme, rollup.grade))


def _example(evaluation: Evaluation, sign: str = "-") -> tuple[str, ...]:
    """One worked example from a real KPI, in words: the engine's own numbers for it
    (expected value, rate, grade) put into the formula of the rules in force."""
    scheme = evaluation.scheme
    candidates = [r for r in evaluation.kpis.values()
                  if r.current.graded and r.kpi.baseline is not None and r.scheme == scheme
                  and r.kpi.direction == "increase" and r.current.expected is not None]
    # A KPI between the bands shows the formula best; any graded one will do otherwise.
    middle = scheme.keys[1:-1]
    candidates.sort(key=lambda r: r.current.grade not in middle)
    if not candidates:
        return ()
    k, g = candidates[0].kpi, candidates[0].current
    places = kpi_places(k)
    unit = "" if k.unit == NO_VALUE else k.unit
    baseline, target = format_number(k.baseline, places), format_number(k.target, places)
    expected = format_number(g.expected, places + 1)
    actual = format_actual(g.actual, places)
    rate = signed(format_rate(g.progress_rate), sign)
    rate_key = scheme.main.rate
    words = RATES[rate_key].formula("目安値")
    numbers = (words.replace("実績値", actual).replace("基準値", baseline)
               .replace("目安値", expected))
    formula = f"{scheme.rate_name()} ＝ {words} ＝ {numbers} ≒ {rate}"
    return (
        f"例：「{k.name}」（{k.id}）は、基準値 {baseline}{unit}"
        f"（{format_fiscal_year(k.baseline_year)}）、目標値 {target}{unit}"
        f"（{format_fiscal_year(k.target_year)}）です。",
        f"{format_fiscal_year(g.year)}の目安値は {expected}{unit}、実績値は {actual}{unit} でした。",
        formula,
        f"したがって評価は「{g.grade}」（{scheme.grade(g.grade).label}）です。",
    )


def _departments(merged: Merged) -> tuple[DepartmentRow, ...]:
    """Each reporting department once, in the order of the inputs, with its measures."""
    measures: dict[str, list[str]] = {}
    for f in merged.inputs:
        if f.department:
            measures.setdefault(f.department, []).extend(f.measure_ids)
    return tuple(DepartmentRow(d, "、".join(ids) or "－") for d, ids in measures.items())


def build_context(merged: Merged, evaluation: Evaluation, *,
                  issued: dt.datetime | None = None, edition: str = PUBLIC,
                  committee: CommitteeInput | None = None,
                  negative_sign: str = "minus") -> ReportContext:
    """Turn the merged inputs and the engine's evaluation into the report's context. The
    public edition's context holds nothing of the internal one's file list, submitters,
    hashes and check messages, so no template can print them.

    committee (committee.CommitteeInput) carries the 総評 and the committee's opinions,
    printed where they belong; without it the report has none. negative_sign (a key of
    NEGATIVE_SIGNS) is how negative rates are printed.
    """
    internal = edition == INTERNAL
    committee = committee or CommitteeInput()
    sign = NEGATIVE_SIGNS[negative_sign]
    plan = merged.plan
    issued = issued or report_datetime()
    final = evaluation.year >= plan.period_end
    rules = evaluation.rules
    scheme = evaluation.scheme
    years = [y for y in plan.years if y <= evaluation.year]
    notes: dict[str, list[str]] = {}
    for mm in merged.measures.values():
        if mm.report:
            for kpi_id, note in mm.report.notes:
                if note.strip():
                    notes.setdefault(kpi_id, []).append(note)
    # A KPI the plan gives no baseline but the evaluation does was given its first
    # actual as baseline (baseline_rule): its grade is printed as 参考.
    reference = {kid: r.kpi.baseline_year
                 for kid, r in (*evaluation.kpis.items(), *evaluation.goals.items())
                 if r.kpi.baseline is not None and plan.get(kid) is not None
                 and plan.get(kid).baseline is None}
    rows = {kid: _kpi_row(r, years, notes.get(kid, ()), scheme=scheme, rules=rules,
                          plan_start=plan.period_start, reference_year=reference.get(kid),
                          final=final, sign=sign,
                          revisions=revision_texts(plan.kpi(kid), evaluation.year))
            for kid, r in (*evaluation.kpis.items(), *evaluation.goals.items())}

    chapters = []
    for s in plan.strategies:
        policies = []
        for p in s.policies:
            measures = []
            for m in p.measures:
                mm = merged.measures[m.id]
                rep = mm.report
                status = {i.initiative_id: i for i in rep.initiatives} if rep else {}
                rollup = evaluation.measures[m.id]
                measures.append(MeasureSection(
                    id=m.id, title=m.title, description=m.description,
                    submitted=mm.submitted, department=mm.department,
                    file=mm.file if internal else "",
                    grade=_grade(scheme, rollup.grade), mean_points=format_points(rollup.mean_points),
                    counts=dict(rollup.counts),
                    kpis=tuple(rows[k.id] for k in m.kpis),
                    initiatives=tuple(
                        InitiativeRow(i.id, i.title, i.schedule,
                                      status[i.id].status if i.id in status else "",
                                      status[i.id].text if i.id in status else "")
                        for i in m.initiatives),
                    achievements=rep.achievements if rep else "",
                    issues=rep.issues if rep else "",
                    outlook=rep.outlook if rep else "",
                    outlook_text=rep.outlook_text if rep else "",
                    own_kpis=tuple(rows[k.id] for k in m.own_kpis) if m.items else (),
                    groups=tuple(KpiGroup(f"{plan.level_name(x)}{x.id}", x.title,
                                          tuple(rows[k.id] for k in x.kpis), x.depth)
                                 for x in m.items),
                ))
            policies.append(PolicySection(
                id=p.id, anchor=f"policy-{p.id}", title=p.title, description=p.description,
                grade=_grade(scheme, evaluation.policies[p.id].grade), measures=tuple(measures),
                heading="" if p.implicit else f"{plan.level_name(p)}{p.id}", implicit=p.implicit,
                goals=tuple(rows[g.id] for g in p.goal_indicators),
                level=plan.level_name(p), depth=p.depth))
        chapters.append(StrategyChapter(
            id=s.id, anchor=f"strategy-{s.id}", heading=f"{plan.strategy_level}{s.id}", title=s.title,
            description=s.description, grade=_grade(scheme, evaluation.strategies[s.id].grade),
            goals=tuple(rows[g.id] for g in s.goal_indicators), policies=tuple(policies),
            opinions=committee.about(s.id)))

    measure_title = {m.id: m.title for m in plan.measures}
    graded_d, not_graded = [], []
    for kid, result in evaluation.kpis.items():
        g = result.current
        mm = merged.measures[result.measure_id]
        entry = dict(id=kid, name=result.kpi.name,
                     measure=f"{result.measure_id} {measure_title[result.measure_id]}",
                     department=mm.department or "（未提出）")
        if g.grade == scheme.keys[-1]:
            graded_d.append(ListedKpi(**entry, detail=rows[kid].progress_rate))
        elif not g.graded:
            not_graded.append(ListedKpi(**entry, detail=g.reason))
    for gid, result in evaluation.goals.items():
        if not result.current.graded:
            not_graded.append(ListedKpi(id=gid, name=result.kpi.name, measure="目標指標",
                                        department=merged.goal_department or "（未提出）",
                                        detail=result.current.reason))

    strategy_of = {m.id: f"{plan.strategy_level}{s.id}" for s in plan.strategies for m in s.measures}
    bars = [GradeBar(f"{plan.strategy_level}{s.id}", evaluation.strategies[s.id].counts)
            for s in plan.strategies] + [GradeBar("KPI 全体", evaluation.total.counts)]
    return ReportContext(
        plan_title=plan.title,
        municipality=plan.municipality,
        issuer=plan.issuer,
        year=evaluation.year,
        year_label=format_fiscal_year(evaluation.year),
        title=f"{format_fiscal_year(evaluation.year)} 効果検証報告書",
        issued_on=era_date(issued.astimezone(JST).date()),
        issued_iso=issued.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        generator=f"mine-report {__version__}",
        draft=merged.draft,
        sample=merged.sample,
        report_years=tuple(short_fiscal_year(y) for y in years),
        grade_letters=scheme.keys,
        ungraded_mark=scheme.ungraded.key,
        count_keys=scheme.count_keys,
        grade_css=Markup(scheme.css()),
        rules_text=tuple(rules.describe(plan.rollup_levels)),
        rate_name=rules.rate_name,
        grade_definitions=tuple(GradeDefinition(_grade(scheme, g.key), g.label,
                                                scheme.description(g.key))
                                for g in (*scheme.grades, scheme.ungraded)),
        example=_example(evaluation, sign),
        count_rows=tuple(_count_row(f"{plan.strategy_level}{s.id}", s.title, evaluation.strategies[s.id],
                                    scheme) for s in plan.strategies),
        total_row=_count_row("KPI 全体", "", evaluation.total, scheme),
        goal_total_row=_count_row("目標指標", "", evaluation.goal_total, scheme),
        count_chart=grade_bar_chart(bars, scheme.colours, title=f"{plan.strategy_level}別の評価の内訳。" + "。".join(
            f"{bar.label}：" + "、".join(f"{g} {bar.counts[g]}件" for g in scheme.count_keys)
            for bar in bars)),
        goals=tuple(rows[g.id] for g in plan.goal_indicators),
        graded_d=tuple(graded_d),
        not_graded=tuple(not_graded),
        strategies=tuple(chapters),
        inputs=tuple(InputRow(f.name, f.department, f.submitter, f.sha256[:12],
                              "、".join(f.measure_ids)) for f in merged.inputs) if internal else (),
        warnings=tuple(WarningRow(w.file, "!".join(x for x in (w.sheet, w.cell) if x), w.code,
                                  w.message) for w in merged.warnings) if internal else (),
        unsubmitted=tuple((mid, measure_title[mid], strategy_of[mid])
                          for mid in merged.unsubmitted),
        left_out=tuple(merged.left_out) if internal else (),
        goal_department=merged.goal_department,
        kpi_count=len(evaluation.kpis),
        # The round's history names files and hashes: the internal edition's only.
        history=tuple(history_rows(merged.history, merged.year)) if internal else (),
        builds=sum(r.year == merged.year for r in merged.history),
        edition=INTERNAL if internal else PUBLIC,
        departments=_departments(merged),
        input_count=len(merged.inputs),
        review=build_review(merged, evaluation, rows, committee),
        final=final,
        negative_mark=sign,
        period=f"{format_fiscal_year(plan.period_start)}〜{format_fiscal_year(plan.period_end)}",
        flags="・".join(f for f, on in (("サンプルデータ", merged.sample),
                                       ("暫定版", merged.draft)) if on),
        strategy_level=plan.strategy_level,
        measure_label=plan.measure_label,
        measure_heading=2 + max(1, len(plan.middle_levels)),
    )

