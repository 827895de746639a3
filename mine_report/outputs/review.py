"""The summary pages' answers to a review committee's questions, built from the KPI rows.

What is off track, why and what next (every C and D KPI and every goal indicator below
B, with the department's 課題 and 今後の方向性 and a link to its page); better or worse
than last year (grade counts side by side, and which KPIs moved); will the targets be
met (the KPIs whose straight-line projection falls short); one table of every indicator;
and, for the plan's last year, the final evaluation per strategy. Everything is taken
from the rows report_context made and the engine's roll-ups; nothing is regraded.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from mine_report.common.fiscal import format_fiscal_year
from mine_report.common.numbers import format_points
from mine_report.grading.grade import Evaluation, Rollup
from mine_report.grading.merge import Merged
from mine_report.grading.schemes import Scheme
from mine_report.outputs.committee import WHOLE_PLAN, CommitteeInput, Opinion


def off_track_grades(scheme: Scheme) -> frozenset[str]:
    """Grades the committee asks about: the lower half of the scheme's grades (C and D of
    Mine's four; ③ of 多摩市's three). A KPI graded one of these is off track."""
    return frozenset(scheme.keys[(len(scheme.keys) + 1) // 2:])


def goals_off_track_grades(scheme: Scheme) -> frozenset[str]:
    """Goal indicators are off track below the second-best grade (below B in Mine's)."""
    return frozenset(scheme.keys[2:])


@dataclass(frozen=True)
class OffTrackMeasure:
    """A measure with off-track KPIs, with what its department wrote about it once."""

    id: str
    title: str
    anchor: str
    department: str
    issues: str
    outlook: str
    outlook_text: str
    kpis: tuple  # KpiRow


@dataclass(frozen=True)
class LinkedRow:
    """A KPI or goal indicator row with where it is printed in the chapters."""

    row: object  # KpiRow
    anchor: str
    place: str  # 施策1-1-1 / 重点戦略1


@dataclass(frozen=True)
class ShiftRow:
    """Grade counts this year beside last year's, for a strategy or a total."""

    label: str
    title: str
    now: tuple[int, ...]  # the scheme's count_keys order
    before: tuple[int, ...] | None
    mean_now: str
    mean_before: str
    total: bool = False


@dataclass(frozen=True)
class FinalRow:
    """The end of the period for one strategy (final evaluation)."""

    label: str
    title: str
    achieved: int
    missed: int
    unknown: int
    improved: int
    unchanged: int
    worsened: int
    total: bool = False


@dataclass(frozen=True)
class OverviewGroup:
    """The compact all-indicator table's rows of one strategy (goal indicators first)."""

    heading: str
    title: str
    anchor: str
    rows: tuple[LinkedRow, ...]


@dataclass(frozen=True)
class Review:
    off_track: tuple[OffTrackMeasure, ...] = ()
    off_track_goals: tuple[LinkedRow, ...] = ()
    off_track_count: int = 0
    off_track_keys: str = ""  # the off-track grades as the note names them: C・D in Mine's
    goals_bar: str = ""  # the grade a goal indicator must reach not to be off track: B
    previous_year: str = ""  # 令和4年度, "" in the plan's first year
    shift_rows: tuple[ShiftRow, ...] = ()
    moved_up: tuple[LinkedRow, ...] = ()
    moved_down: tuple[LinkedRow, ...] = ()
    falling_short: tuple[LinkedRow, ...] = ()
    early_targets: tuple[LinkedRow, ...] = ()
    overview: tuple[OverviewGroup, ...] = ()
    # The years most baselines and targets are dated (H30, R6): the compact table names
    # them in its header and prints a year on a row only where it differs.
    usual_baseline_year: str = ""
    usual_target_year: str = ""
    final_rows: tuple[FinalRow, ...] = ()
    overall: tuple[str, ...] = ()  # 総評 paragraphs
    opinions: tuple[Opinion, ...] = ()  # on the whole plan
    reference_count: int = 0  # grades marked 参考 (no baseline in the plan)


def _counts(rollup: Rollup, scheme: Scheme) -> tuple[int, ...]:
    return tuple(rollup.counts[g] for g in scheme.count_keys)


def _shift_rows(evaluation: Evaluation) -> tuple[ShiftRow, ...]:
    before = evaluation.rollups_by_year.get(evaluation.year - 1)
    scheme = evaluation.scheme
    rows = []
    for s in evaluation.plan.strategies:
        now = evaluation.strategies[s.id]
        old = before.strategies[s.id] if before else None
        rows.append(ShiftRow(f"{evaluation.plan.strategy_level}{s.id}", s.title, _counts(now, scheme),
                             _counts(old, scheme) if old else None,
                             format_points(now.mean_points),
                             format_points(old.mean_points) if old else ""))
    for label, now, old in (("KPI 全体", evaluation.total, before.total if before else None),
                            ("目標指標", evaluation.goal_total,
                             before.goal_total if before else None)):
        rows.append(ShiftRow(label, "", _counts(now, scheme),
                             _counts(old, scheme) if old else None,
                             format_points(now.mean_points),
                             format_points(old.mean_points) if old else "", total=True))
    return tuple(rows)


def _final_rows(evaluation: Evaluation, rows: Mapping[str, object]) -> tuple[FinalRow, ...]:
    def row(label: str, title: str, ids: Sequence[str], total: bool = False) -> FinalRow:
        picked = [rows[i] for i in ids]
        return FinalRow(label, title,
                        sum(r.achieved == "達成" for r in picked),
                        sum(r.achieved == "未達" for r in picked),
                        sum(r.achieved not in ("達成", "未達") for r in picked),
                        sum(r.period_trend == "改善" for r in picked),
                        sum(r.period_trend == "横ばい" for r in picked),
                        sum(r.period_trend == "悪化" for r in picked), total)

    plan = evaluation.plan
    out = [row(f"{plan.strategy_level}{s.id}", s.title, [k.id for m in s.measures for k in m.kpis])
           for s in plan.strategies]
    out.append(row("KPI 全体", "", [k.id for k in plan.kpis], total=True))
    out.append(row("目標指標", "", [g.id for g in plan.goal_indicators], total=True))
    return tuple(out)


def build_review(merged: Merged, evaluation: Evaluation, rows: Mapping[str, object],
                 committee: CommitteeInput) -> Review:
    """The committee-facing summary from the KPI rows (id → KpiRow) of report_context."""
    plan = evaluation.plan
    where: dict[str, tuple[str, str]] = {}
    for s in plan.strategies:
        for g in s.goal_indicators:
            where[g.id] = (f"strategy-{s.id}", f"{plan.strategy_level}{s.id}")
        for p in s.policies:  # 数値目標 on a middle level link to its section
            for g in p.goal_indicators:
                where[g.id] = (f"policy-{p.id}", f"{plan.level_name(p)}{p.id}")
        for m in s.measures:
            for k in m.kpis:
                where[k.id] = (f"measure-{m.id}", f"{plan.measure_label}{m.id}")

    def linked(item_id: str) -> LinkedRow:
        return LinkedRow(rows[item_id], *where[item_id])

    off_grades = off_track_grades(evaluation.scheme)
    off_track = []
    for m in plan.measures:
        bad = tuple(rows[k.id] for k in m.kpis if rows[k.id].grade.letter in off_grades)
        if not bad:
            continue
        rep = merged.measures[m.id].report
        off_track.append(OffTrackMeasure(
            m.id, m.title, f"measure-{m.id}", merged.measures[m.id].department or "（未提出）",
            rep.issues if rep else "", rep.outlook if rep else "",
            rep.outlook_text if rep else "", bad))
    goal_grades = goals_off_track_grades(evaluation.scheme)
    goals_off = tuple(linked(g.id) for g in plan.goal_indicators
                      if rows[g.id].grade.letter in goal_grades)

    all_ids = [k.id for k in plan.kpis]
    up = tuple(linked(i) for i in all_ids if evaluation.kpis[i].trend == "up")
    down = tuple(linked(i) for i in all_ids if evaluation.kpis[i].trend == "down")
    ids = [*all_ids, *(g.id for g in plan.goal_indicators)]
    short = tuple(linked(i) for i in ids if rows[i].falls_short)
    early = tuple(linked(i) for i in ids if plan.get(i).target_year < plan.period_end)
    overview = tuple(OverviewGroup(
        f"{plan.strategy_level}{s.id}", s.title, f"strategy-{s.id}",
        tuple(linked(i) for i in [*(g.id for g in s.goal_indicators),
                                  *(k.id for m in s.measures for k in m.kpis)]))
        for s in plan.strategies)
    previous = evaluation.year - 1
    final = evaluation.year >= plan.period_end
    items = [rows[i] for i in ids]
    usual_baseline = Counter(r.baseline_year for r in items).most_common(1)[0][0]
    usual_target = Counter(r.target_year for r in items).most_common(1)[0][0]
    return Review(
        off_track=tuple(off_track), off_track_goals=goals_off,
        off_track_count=sum(len(m.kpis) for m in off_track),
        off_track_keys="・".join(k for k in evaluation.scheme.keys if k in off_grades),
        goals_bar=evaluation.scheme.keys[1],
        previous_year=format_fiscal_year(previous) if previous in evaluation.rollups_by_year
        else "",
        shift_rows=_shift_rows(evaluation), moved_up=up, moved_down=down,
        falling_short=short, early_targets=early, overview=overview,
        final_rows=_final_rows(evaluation, rows) if final else (),
        usual_baseline_year=usual_baseline, usual_target_year=usual_target,
        overall=committee.overall, opinions=committee.about(WHOLE_PLAN),
        reference_count=sum(1 for i in ids if rows[i].reference))
