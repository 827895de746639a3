"""Machine-readable outputs, published as open data by the conventions of Japanese public
bodies (公共データ利用規約 PDL1.0, 西暦 fiscal years with 和暦 only as a display column, UTF-8
CSV with a BOM so Excel opens it, the municipality identified by its 全国地方公共団体コード):

- kpi_results.json: the record every output agrees with (the public edition leaves out who
  submitted which file, file names, hashes and cell addresses);
- kpi_results.csv: one row per KPI in the evaluation year;
- kpi_values.csv: tidy, one row per indicator (KPI or goal indicator) per fiscal year;
- kpi_metadata.json: publisher, licence, source, and every CSV column described.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

from mine_report.common.fiscal import format_fiscal_year
from mine_report.common.messages import text
from mine_report.common.numbers import (
    EXPECTED_PLACES,
    NO_VALUE,
    RATE_PLACES,
    json_number,
    percent,
    round_half_up,
)
from mine_report.grading.grade import Evaluation, KpiGrade, KpiResult, Rollup
from mine_report.grading.merge import Merged
from mine_report.grading.schemes import Scheme
from mine_report.plan.model import DIRECTION_LABELS, Plan

JSON_NAME = "kpi_results.json"
CSV_NAME = "kpi_results.csv"
#: The report's names are here with the others (not in report.py, which loads WeasyPrint)
#: so that the build knows every name it owns without loading the renderer.
PDF_NAME = "report.pdf"
HTML_NAME = "report.html"
VALUES_NAME = "kpi_values.csv"
METADATA_NAME = "kpi_metadata.json"
#: The open data files, metadata first; all of them safe to publish in the public edition.
OPEN_DATA_NAMES = (METADATA_NAME, JSON_NAME, CSV_NAME, VALUES_NAME)
#: The licence Japanese public bodies publish data under (CC BY 4.0 compatible, 2024).
LICENSE = {
    "id": "PDL-1.0",
    "name": "公共データ利用規約（第1.0版）",
    "url": "https://www.digital.go.jp/resources/open_data/public_data_license_v1.0",
    "compatible_with": "CC BY 4.0",
}


def exact(value: Fraction | Decimal | None) -> float | int | None:
    """A rate, expected value or actual as a JSON number (None stays None)."""
    if value is None:
        return None
    if isinstance(value, Decimal):
        return json_number(value)
    if value.denominator == 1:
        return int(value.numerator)
    return float(value)


def _grade_dict(g: KpiGrade) -> dict:
    return {
        "year": g.year,
        "actual": exact(g.actual),
        "expected": exact(g.expected),
        "progress_rate": exact(g.progress_rate),
        "final_rate": exact(g.final_rate),
        "grade": g.grade,
        "reason": g.reason,
    }


def _result_dict(r: KpiResult, department: str, public: bool, plan: Plan | None = None) -> dict:
    """One indicator's results; given the plan, a KPI of a plan whose sheet unit is above
    the deepest level also names the items under the sheet unit that hold it (item_ids)."""
    g = r.current
    source = g.actual_source
    prev = r.previous
    data = {
        "id": r.kpi.id,
        "measure_id": r.measure_id,
        **({"item_ids": [x.id for x in plan.measure(r.measure_id).item_chain(r.kpi.id)]}
           if plan is not None and plan.sub_levels and r.measure_id else {}),
        "name": r.kpi.name,
        "unit": r.kpi.unit,
        **_grade_dict(g),
        "previous_grade": prev.grade if prev else None,
        "department": department,
        # file name only: outputs must not depend on where the inputs were stored
        "source": {**source.to_dict(), "file": Path(source.file).name} if source else None,
        "history": [_grade_dict(h) for h in r.by_year.values()],
    }
    if public:
        del data["source"]
    return data


def _rollup_dict(r: Rollup) -> dict:
    return {"counts": dict(r.counts), "mean_points": exact(r.mean_points), "grade": r.grade}


def results_dict(merged: Merged, evaluation: Evaluation, *, public: bool = False) -> dict:
    """The whole evaluation as JSON-able data. `public` leaves out what only the planning
    division needs: the input files (names, submitters, hashes), each value's file and
    cell, and what a draft left out (named by file)."""
    dept = {mid: m.department for mid, m in merged.measures.items()}
    data = {
        "title": merged.plan.title,
        "municipality_code": merged.plan.municipality_code,
        "edition": "public" if public else "internal",
        "year": evaluation.year,
        "year_label": format_fiscal_year(evaluation.year),
        "draft": merged.draft,
        "sample": merged.sample,
        "plan": merged.plan.to_dict(),
        "kpis": [_result_dict(r, dept.get(r.measure_id or "", ""), public, merged.plan)
                 for r in evaluation.kpis.values()],
        "goal_indicators": [_result_dict(r, merged.goal_department, public)
                            for r in evaluation.goals.values()],
        "rollups": {
            "total": _rollup_dict(evaluation.total),
            "goal_total": _rollup_dict(evaluation.goal_total),
            "strategies": {k: _rollup_dict(v) for k, v in evaluation.strategies.items()},
            "policies": {k: _rollup_dict(v) for k, v in evaluation.policies.items()},
            "measures": {k: _rollup_dict(v) for k, v in evaluation.measures.items()},
        },
        "unsubmitted": merged.unsubmitted,
        "inputs": [
            {"file": f.name, "department": f.department, "submitter": f.submitter,
             "sha256": f.sha256, "measures": list(f.measure_ids)}
            for f in merged.inputs
        ],
        "left_out": [{"item": what, "reason": why} for what, why in merged.left_out],
    }
    if public:
        del data["inputs"], data["left_out"]
    return data


def write_json(path: Path, merged: Merged, evaluation: Evaluation, *,
               public: bool = False) -> None:
    data = results_dict(merged, evaluation, public=public)
    text = json.dumps(data, ensure_ascii=False, indent=1, default=json_number) + "\n"
    path.write_text(text, encoding="utf-8")


@dataclass(frozen=True)
class Column:
    """One CSV column: its header and what it holds (printed in kpi_metadata.json and README)."""

    name: str
    description: str

    def for_scheme(self, scheme: Scheme) -> dict[str, str]:
        """The column as kpi_metadata.json prints it: GRADES names the scheme's grade keys
        (A〜D for Mine's), so the description fits whichever scheme graded the file."""
        grades = f"{scheme.keys[0]}〜{scheme.keys[-1]}"
        return {"name": self.name, "description": self.description.replace(GRADES, grades)}


#: Placeholder in a column description for the scheme's grade keys.
GRADES = "{grades}"


_PUBLISHER_COLUMNS = (
    Column("団体コード", "全国地方公共団体コード（6桁、検査数字付き）。計画データの municipality_code"),
    Column("地方公共団体名", "計画データの市町村名"),
)


def level_columns(plan: Plan) -> tuple[Column, ...]:
    """One column per level of the plan, named as the plan names it (重点戦略・戦略方針・
    具体的施策 for Mine; 基本目標・施策 for a plan of two levels), holding the item's id."""
    first: dict[int, str] = {0: plan.strategies[0].id if plan.strategies else ""}
    for p in plan.policies:
        if not p.implicit:
            first.setdefault(p.depth, p.id)
    first[len(plan.levels) - 1] = plan.measures[0].id if plan.measures else ""
    for m in plan.measures:
        for x in m.items:
            first.setdefault(len(plan.levels) - 1 + x.depth, x.id)
    below = len(plan.levels)  # the levels under the sheet unit: blank for a KPI above them
    return tuple(Column(name, f"{name}の番号（{first.get(depth, '')}{'〜' if depth == 0 else ' など'}）"
                        + ("。この階層より上の KPI は空欄" if depth >= below else ""))
                 for depth, name in enumerate(plan.all_levels))


def level_ids(plan: Plan, measure_id: str, kpi_id: str = "") -> list[str]:
    """The ids of a measure and of the items above it, one per level (level_columns), then
    those of the items under it that hold the KPI (blank where it hangs higher)."""
    chain = [x.id for x in plan.measure(measure_id).item_chain(kpi_id)] if kpi_id else []
    return ([a.id for a in plan.ancestors(measure_id)] + [measure_id] + chain
            + [""] * (len(plan.sub_levels) - len(chain)))


def result_columns(plan: Plan) -> tuple[Column, ...]:
    """kpi_results.csv's columns: the levels' columns follow the plan."""
    return (*_PUBLISHER_COLUMNS, *level_columns(plan), *RESULT_COLUMNS)


def value_columns(plan: Plan) -> tuple[Column, ...]:
    """kpi_values.csv's columns: the top level and the sheet unit named as the plan names
    them (a goal indicator has no sheet unit)."""
    top, unit = plan.levels[0], plan.levels[-1]
    return (*_PUBLISHER_COLUMNS, *VALUE_COLUMNS[:2], Column(top, f"{top}の番号"),
            Column(unit, f"{unit}の番号（目標指標は空欄）"), *VALUE_COLUMNS[2:])


#: kpi_results.csv: one row per KPI in the evaluation year; result_columns puts the
#: publisher's and the plan's level columns first.
RESULT_COLUMNS = (
    Column("KPI番号", "KPI の番号。計画データの id で、年度をまたいで変わらない"),
    Column("指標名", "KPI の名称"),
    Column("単位", "値の単位（単位のない指標は「－」）"),
    Column("方向", "増加・減少（低いほど良い）・維持"),
    Column("累計", "累計で数える指標は「累計」、単年度の値は空欄"),
    Column("基準値", "計画の現状値（ない指標は空欄）"),
    Column("基準年度", "基準値の年度（西暦の年度。2018 = 平成30年度）"),
    Column("基準年度（和暦）", "基準年度の表示用の和暦"),
    Column("目標値", "計画の目標値"),
    Column("目標年度", "目標値の年度（西暦の年度）"),
    Column("目標年度（和暦）", "目標年度の表示用の和暦"),
    Column("評価年度", "評価した年度（西暦の年度。4月から翌年3月まで）"),
    Column("評価年度（和暦）", "評価年度の表示用の和暦"),
    Column("実績値", "評価年度の実績値（未把握・未提出は空欄）"),
    Column("目安値", "評価年度の目安値（基準値から目標値まで均等に割り振った値、"
                  f"小数第{EXPECTED_PLACES}位）"),
    Column("進捗率（%）", f"評価に使った率（%、小数第{RATE_PLACES}位で四捨五入）"),
    Column("目標達成率（%）", f"最終目標に対する率（%、小数第{RATE_PLACES}位で四捨五入）"),
    Column("評価", f"{GRADES}。評価できないときは「{NO_VALUE}」"),
    Column("前年度の評価", "前年度の評価（計画期間の初年度は空欄）"),
    Column("評価なしの理由", "評価が「－」の理由"),
    Column("担当課", "実績を報告した課（未提出は空欄）"),
)
#: kpi_values.csv: tidy, one row per indicator (KPI and goal indicator) per fiscal year;
#: value_columns adds the publisher's columns and the plan's top and sheet-unit levels.
VALUE_COLUMNS = (
    Column("指標ID", "KPI（1-1-1-1 など）・目標指標（G1-1 など）の番号。年度をまたいで変わらない"),
    Column("指標の種類", "KPI または 目標指標"),
    Column("指標名", "指標の名称"),
    Column("単位", "値の単位"),
    Column("方向", "増加・減少・維持"),
    Column("年度", "値の年度（西暦の年度。2023 = 令和5年度）"),
    Column("年度（和暦）", "年度の表示用の和暦"),
    Column("実績値", "その年度の実績値（未把握・未提出は空欄）"),
    Column("目安値", f"その年度の目安値（小数第{EXPECTED_PLACES}位）"),
    Column("進捗率（%）", f"その年度の評価に使った率（%、小数第{RATE_PLACES}位）"),
    Column("評価", f"その年度の評価 {GRADES}、評価できないときは「{NO_VALUE}」"),
    Column("評価なしの理由", "評価が「－」の理由"),
)


def _csv_number(value: Fraction | Decimal | None, places: int | None = None) -> str:
    if value is None:
        return ""
    if places is not None:
        value = round_half_up(value, places)
    return format(value, "f")


def _csv_text(value: str) -> str:
    """Department text as inert CSV: Excel would run a cell starting with = + - @ as a formula."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def _writer() -> tuple[io.StringIO, csv.writer]:
    buf = io.StringIO()
    return buf, csv.writer(buf, lineterminator="\r\n")


def _write_bom_csv(path: Path, buf: io.StringIO) -> None:
    """UTF-8 with a BOM (Excel reads Japanese correctly only then) and CRLF line ends."""
    path.write_bytes(("\ufeff" + buf.getvalue()).encode("utf-8"))


def write_csv(path: Path, merged: Merged, evaluation: Evaluation) -> None:
    """kpi_results.csv: one row per KPI with the evaluation year's figures."""
    plan = merged.plan
    buf, writer = _writer()
    writer.writerow([c.name for c in result_columns(plan)])
    for r in evaluation.kpis.values():
        k, g = r.kpi, r.current
        prev = r.previous
        writer.writerow([
            plan.municipality_code, plan.municipality,
            *level_ids(plan, r.measure_id, k.id), k.id, k.name, k.unit,
            DIRECTION_LABELS[k.direction], "累計" if k.cumulative else "",
            _csv_number(k.baseline), k.baseline_year, format_fiscal_year(k.baseline_year),
            _csv_number(k.target), k.target_year, format_fiscal_year(k.target_year),
            g.year, format_fiscal_year(g.year), _csv_number(g.actual),
            _csv_number(g.expected, EXPECTED_PLACES),
            _csv_number(percent(g.progress_rate)), _csv_number(percent(g.final_rate)),
            g.grade, prev.grade if prev else "", _csv_text(g.reason),
            _csv_text(merged.measures[r.measure_id].department),
        ])
    _write_bom_csv(path, buf)


def write_values_csv(path: Path, merged: Merged, evaluation: Evaluation) -> None:
    """kpi_values.csv: the tidy table, one row per indicator per fiscal year, KPIs in plan
    order and then the goal indicators."""
    plan = merged.plan
    strategy_of = {g.id: s.id for s in plan.strategies for g in s.every_goal_indicator}
    buf, writer = _writer()
    writer.writerow([c.name for c in value_columns(plan)])
    for kind, results in (("KPI", evaluation.kpis), ("目標指標", evaluation.goals)):
        for r in results.values():
            k = r.kpi
            if r.measure_id:
                strategy = plan.parents(r.measure_id)[0].id
            else:
                strategy = strategy_of.get(k.id, "")
            for year, g in sorted(r.by_year.items()):
                writer.writerow([
                    plan.municipality_code, plan.municipality, k.id, kind, strategy,
                    r.measure_id or "", k.name, k.unit, DIRECTION_LABELS[k.direction],
                    year, format_fiscal_year(year), _csv_number(g.actual),
                    _csv_number(g.expected, EXPECTED_PLACES), _csv_number(percent(g.progress_rate)),
                    g.grade, _csv_text(g.reason),
                ])
    _write_bom_csv(path, buf)


def metadata_dict(merged: Merged, evaluation: Evaluation) -> dict:
    """kpi_metadata.json: who publishes the data, under which licence, from what source,
    and what every column of the CSV files means."""
    plan = merged.plan
    year = evaluation.year
    scheme = evaluation.scheme
    report_title = f"{format_fiscal_year(year)} 効果検証報告書"
    return {
        "title": f"{plan.title} {format_fiscal_year(year)} KPI 効果検証データ",
        "publisher": {"name": plan.municipality, "municipality_code": plan.municipality_code,
                      "department": plan.issuer},
        "license": LICENSE,
        "attribution": f"出典：{plan.municipality}「{plan.title} {report_title}」",
        "source": {"plan": plan.title, "plan_adopted": plan.adopted, "report": report_title},
        "fiscal_year": year,
        "fiscal_year_label": format_fiscal_year(year),
        "draft": merged.draft,
        "sample": merged.sample,
        "notes": [n for n, on in ((text("B040"), merged.sample), (text("B041"), merged.draft))
                  if on],
        "files": [
            {"name": CSV_NAME, "format": "text/csv", "encoding": "UTF-8 (BOM)",
             "description": text("B042"), "columns": [c.for_scheme(scheme) for c in result_columns(plan)]},
            {"name": VALUES_NAME, "format": "text/csv", "encoding": "UTF-8 (BOM)",
             "description": text("B043"), "columns": [c.for_scheme(scheme) for c in value_columns(plan)]},
            {"name": JSON_NAME, "format": "application/json", "encoding": "UTF-8",
             "description": text("B044")},
        ],
    }


def write_metadata(path: Path, merged: Merged, evaluation: Evaluation) -> None:
    data = metadata_dict(merged, evaluation)
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


def write_open_data(folder: Path, merged: Merged, evaluation: Evaluation, *,
                    public: bool = True) -> list[str]:
    """Write the JSON, both CSV files and the metadata into folder; return their names
    (in the order a reader should look at them: metadata first)."""
    write_metadata(folder / METADATA_NAME, merged, evaluation)
    write_json(folder / JSON_NAME, merged, evaluation, public=public)
    write_csv(folder / CSV_NAME, merged, evaluation)
    write_values_csv(folder / VALUES_NAME, merged, evaluation)
    return list(OPEN_DATA_NAMES)
