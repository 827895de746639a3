"""Grading schemes as data: the one place that says how a KPI is graded and rolled up.

A scheme is its grades (3–7, best first, each with its label, points and colours), the
value each year's actual is compared with (the basis), the rate computed from it, the
bands that turn a rate into a grade (one set for increase/decrease KPIs, mirrored for
decrease by the rates themselves, one for maintain KPIs), and the roll-up. Every part is
looked up in a registry below (RATES, BASES, DIRECTIONS, ROLLUPS, BUILTIN), so adding a
rate, basis or municipality's scheme touches this module and its tests only. The words
the report and `config --show` print are generated from the same data.

Pure and exact: rates are Fractions of 1 (Fraction(4, 5) is 80 %), never floats.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from fractions import Fraction

from mine_report.common.messages import text
from mine_report.common.numbers import NO_VALUE, number_text, pct
from mine_report.plan.model import ROLLUP_LEVELS

MIN_GRADES, MAX_GRADES = 3, 7
#: The ungraded grade's default mark: the dash the outputs print where there is no number.
UNGRADED_MARK = NO_VALUE


# --- directions -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Direction:
    """How a KPI's direction is graded: which band set, and whether lower is better."""

    key: str
    lower_is_better: bool
    #: Maintain KPIs are always compared with the target itself (never pro-rated).
    against_target: bool
    band_set: str  # "main" or "maintain"


DIRECTIONS = {
    "increase": Direction("increase", False, False, "main"),
    "decrease": Direction("decrease", True, False, "main"),
    "maintain": Direction("maintain", False, True, "maintain"),
}


# --- rates ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class RateInput:
    """What a rate is computed from: exact numbers, baseline None when the plan has none."""

    actual: Fraction
    baseline: Fraction | None
    compared: Fraction  # the expected value, or the target for the final rate
    direction: Direction


Computed = tuple[Fraction | None, str]  # the rate, or None and why it cannot be computed


def _progress(x: RateInput) -> Computed:
    b = x.baseline if x.baseline is not None else Fraction(0)
    if x.compared == b:
        return None, text("C306")
    # One formula for both directions: (a − b)/(e − b) is positive when a moved towards e.
    return (x.actual - b) / (x.compared - b), ""


def _ratio(x: RateInput) -> Computed:
    if x.direction.lower_is_better:
        if x.actual <= 0:
            return None, text("C309")
        return x.compared / x.actual, ""
    if x.compared == 0:
        return None, text("C307" if x.direction.against_target else "C308")
    return x.actual / x.compared, ""


def _change(x: RateInput) -> Computed:
    if not x.baseline:
        return None, text("C310")
    moved = x.actual - x.baseline
    return (-moved if x.direction.lower_is_better else moved) / abs(x.baseline), ""


@dataclass(frozen=True)
class Rate:
    """A rate: its name, its formula in words ({goal} is what it is compared with)."""

    key: str
    name_code: str
    compute: Callable[[RateInput], Computed]
    words_code: str  # formula for increase/maintain KPIs
    mirrored_code: str  # formula for decrease KPIs

    @property
    def name(self) -> str:
        return text(self.name_code)

    def formula(self, goal: str, lower_is_better: bool = False) -> str:
        return text(self.mirrored_code if lower_is_better else self.words_code, goal=goal)


RATES = {
    "progress": Rate("progress", "C510", _progress, "C570", "C570"),
    "ratio": Rate("ratio", "C511", _ratio, "C571", "C572"),
    "change": Rate("change", "C512", _change, "C573", "C574"),
}


# --- bases: the value each year's actual is compared with ------------------------------------


def _prorated(b: Fraction, t: Fraction, year: int, kpi_years: tuple[int, int],
              plan_start: int, shares: Sequence[Fraction]) -> Fraction:
    base_year, target_year = kpi_years
    if year >= target_year:
        return t
    return b + (t - b) * Fraction(year - base_year, target_year - base_year)


def _final(b: Fraction, t: Fraction, year: int, kpi_years: tuple[int, int],
           plan_start: int, shares: Sequence[Fraction]) -> Fraction:
    return t


def _shares(b: Fraction, t: Fraction, year: int, kpi_years: tuple[int, int],
            plan_start: int, shares: Sequence[Fraction]) -> Fraction:
    # The plan's n-th year expects shares[n-1] of the way from baseline to target; years
    # beyond the list expect the last share, years before the plan the first.
    index = min(max(year - plan_start, 0), len(shares) - 1)
    return b + (t - b) * shares[index]


BASES: dict[str, Callable[..., Fraction]] = {
    "prorated": _prorated, "final": _final, "shares": _shares}
#: Message code of each basis's sentence and of the name of what it compares with.
_BASIS_WORDS = {"prorated": ("C520", "C532"), "final": ("C521", "C533"),
                "shares": ("C575", "C532")}


# --- grades and bands -----------------------------------------------------------------------


@dataclass(frozen=True)
class Grade:
    """One grade as the scheme names it: "A", "S", "①", "◎" … with its label, points and
    colours (fill and text). description "" means: generate it from the bands."""

    key: str
    label: str
    points: Fraction
    colour: str
    text_colour: str
    description: str = ""


@dataclass(frozen=True)
class Band:
    """grade when the rate is ≥ bound (strict: > bound). rate "" is the band set's rate."""

    grade: str
    bound: Fraction
    strict: bool = False
    rate: str = ""


@dataclass(frozen=True)
class BandSet:
    """The bands of one kind of KPI, tried best first; the last grade takes the rest.

    rate is the rate reported for the KPI (progress_rate) and the default of each band.
    tolerance (maintain KPIs, in the KPI's own units): a shortfall below the target of at
    most this much counts as holding the target (the actual is graded as the target).
    """

    rate: str
    bands: tuple[Band, ...]
    tolerance: Fraction = Fraction(0)

    def band(self, grade: str) -> Band | None:
        return next((b for b in self.bands if b.grade == grade), None)

    def rate_of(self, band: Band) -> str:
        return band.rate or self.rate


@dataclass(frozen=True)
class RollupRule:
    """How a group's grade is found from its KPIs' grades (「－」 always left out).

    mean: the mean points against bands (grade, lowest mean). share: the share of graded
    KPIs at or above `level` against bands (grade, lowest share, a rate). worst: the worst
    grade among the graded KPIs.
    """

    method: str = "mean"
    bands: tuple[tuple[str, Fraction], ...] = ()
    level: str = ""


ROLLUPS = ("mean", "share", "worst")


@dataclass(frozen=True)
class Scheme:
    """A whole grading scheme. Grades are best first; ungraded is 「－」 (or the scheme's
    own mark) with its label, never counted and never given points."""

    name: str
    grades: tuple[Grade, ...]
    ungraded: Grade
    basis: str
    main: BandSet
    maintain: BandSet
    rollup: RollupRule
    shares: tuple[Fraction, ...] = ()
    #: The built-in scheme this one started from ("" when written out whole).
    base: str = field(default="", compare=False)

    # --- the grades --------------------------------------------------------------

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(g.key for g in self.grades)

    @property
    def count_keys(self) -> tuple[str, ...]:
        """The key order of every count: each grade, then the ungraded mark."""
        return (*self.keys, self.ungraded.key)

    def grade(self, key: str) -> Grade:
        """A grade (or the ungraded mark) by key."""
        if key == self.ungraded.key:
            return self.ungraded
        return next(g for g in self.grades if g.key == key)

    def rank(self, key: str) -> int:
        """0 for the best grade, 1 for the next …"""
        return self.keys.index(key)

    def is_graded(self, key: str) -> bool:
        return key in self.keys

    @property
    def colours(self) -> dict[str, tuple[str, str]]:
        """(fill, text) colours of every grade, then of the ungraded mark, in count order."""
        return {g.key: (g.colour, g.text_colour) for g in (*self.grades, self.ungraded)}

    def css_class(self, key: str) -> str:
        """The CSS class of a grade badge: grade-1 for the best … grade-none for 「－」
        (grade keys such as ① are not safe in class names)."""
        return f"grade-{self.rank(key) + 1}" if self.is_graded(key) else "grade-none"

    def css(self) -> str:
        """The badge colours as CSS rules (colours are checked #RRGGBB, nothing else)."""
        return "".join(f".{self.css_class(k)} {{ background: {fill}; color: {fg}; }}\n"
                       for k, (fill, fg) in self.colours.items())

    def band_set(self, direction: str) -> BandSet:
        return self.maintain if DIRECTIONS[direction].band_set == "maintain" else self.main

    def rate_name(self, direction: str = "increase") -> str:
        return RATES[self.band_set(direction).rate].name

    # --- judging -------------------------------------------------------------------

    def expected(self, baseline: Fraction, target: Fraction, year: int, direction: str,
                 kpi_years: tuple[int, int], plan_start: int) -> Fraction:
        """The value the actual of `year` is compared with under this scheme."""
        basis = "final" if DIRECTIONS[direction].against_target else self.basis
        return BASES[basis](baseline, target, year, kpi_years, plan_start, self.shares)

    def judge(self, actual: Fraction, baseline: Fraction | None, expected: Fraction,
              target: Fraction, direction: str) -> tuple[str | None, Computed, Computed]:
        """(grade or None, (shown rate, why not), (final rate, why not)).

        The grade is None, with the reason in the shown rate's slot, when a rate a band
        needed cannot be computed: such a KPI is 「－」, never the worst grade.
        """
        d = DIRECTIONS[direction]
        bands = self.band_set(direction)
        if bands.tolerance and actual < target <= actual + bands.tolerance:
            actual = target  # within the tolerance: held
        cache: dict[tuple[str, Fraction], Computed] = {}

        def rate(key: str, compared: Fraction) -> Computed:
            if (key, compared) not in cache:
                cache[key, compared] = RATES[key].compute(RateInput(actual, baseline, compared, d))
            return cache[key, compared]

        shown = rate(bands.rate, expected)
        final = rate(bands.rate, target)
        for band in bands.bands:
            value, why = rate(bands.rate_of(band), expected)
            if value is None:
                return None, (shown[0], why), final
            if value > band.bound or (not band.strict and value == band.bound):
                return band.grade, shown, final
        if shown[0] is None:
            return None, shown, final
        return self.grades[-1].key, shown, final

    def rollup_grade(self, counts: dict[str, int], mean: Fraction | None) -> str:
        """A group's grade from its grade counts (「－」 when nothing is graded)."""
        graded = sum(counts[k] for k in self.keys)
        if not graded:
            return self.ungraded.key
        rule = self.rollup
        if rule.method == "worst":
            return next(k for k in reversed(self.keys) if counts[k])
        if rule.method == "share":
            level = self.rank(rule.level)
            value = Fraction(sum(counts[k] for k in self.keys[:level + 1]), graded)
        else:
            value = mean if mean is not None else Fraction(0)
        for key, low in rule.bands:
            if value >= low:
                return key
        return self.keys[-1]

    # --- words ---------------------------------------------------------------------

    def _condition(self, bands: BandSet, key: str) -> tuple[str, str] | None:
        """(rate name, words) saying when `key` is given in this band set
        (("進捗率", "80%以上100%未満")); None when it never is."""
        index = next((i for i, b in enumerate(bands.bands) if b.grade == key), None)
        if index is None:
            if key != self.keys[-1]:
                return None
            if not bands.bands:
                return "", text("C578")
            last = bands.bands[-1]
            return (RATES[bands.rate_of(last)].name,
                    text("C579" if last.strict else "C580", v=pct(last.bound)))
        band = bands.bands[index]
        rate = bands.rate_of(band)
        low = text("C581" if band.strict else "C582", v=pct(band.bound))
        above = bands.bands[index - 1] if index else None
        if above is None or bands.rate_of(above) != rate:
            return RATES[rate].name, text("C598", v=pct(band.bound)) if band.strict else low
        if above.bound == band.bound and above.strict and not band.strict:
            return RATES[rate].name, text("C585", v=pct(band.bound))
        return RATES[rate].name, low + text("C583" if above.strict else "C584",
                                            v=pct(above.bound))

    def _words(self, bands: BandSet, key: str) -> str:
        found = self._condition(bands, key)
        if found is None:
            return ""
        rate, words = found
        return f"{rate}が{words}" if rate else words

    def description(self, key: str) -> str:
        """The grade's one-line criterion: configured, or generated from the bands."""
        grade = self.grade(key)
        if grade.description:
            return grade.description
        if grade is self.ungraded:
            return text("C555")
        main, maintain = self._words(self.main, key), self._words(self.maintain, key)
        if maintain == main:
            return main
        return text("C576", main=main or text("C577"), maintain=maintain or text("C577"))

    def _band_sentence(self, bands: BandSet) -> str:
        """One band set in words: 進捗率が100%以上はA（順調）、… とします。"""
        parts, last_rate = [], None
        for key in self.keys:
            found = self._condition(bands, key)
            if found is None:
                continue
            rate, words = found
            # The rate is named once while consecutive clauses share it.
            cond = words if (rate == last_rate or not rate) else f"{rate}が{words}"
            last_rate = rate
            parts.append(text("C586", cond=cond, key=key, label=self.grade(key).label))
        return text("C587", clauses="、".join(parts))

    def _rates_used(self, bands: BandSet) -> list[str]:
        return list(dict.fromkeys([bands.rate] + [b.rate for b in bands.bands if b.rate]))

    def _rate_sentences(self) -> list[str]:
        goal = text(_BASIS_WORDS[self.basis][1])
        out = []
        for key in self._rates_used(self.main):
            r = RATES[key]
            inc, dec = r.formula(goal), r.formula(goal, lower_is_better=True)
            out.append(text("C588", name=r.name, formula=inc) if inc == dec
                       else text("C589", name=r.name, formula=inc, mirrored=dec))
            if key == "progress":
                out.append(text("C590"))
        return out

    def _maintain_sentence(self) -> str:
        m = self.maintain
        goal = text("C534")
        formulas = "、".join(f"{RATES[k].name} ＝ {RATES[k].formula(goal)}"
                             for k in self._rates_used(m))
        sentence = text("C591", formulas=formulas, bands=self._band_sentence(m))
        if m.tolerance:
            sentence += text("C592", tol=number_text(m.tolerance))
        return sentence

    def _rollup_sentence(self, levels: str) -> str:
        rule, mark, last = self.rollup, self.ungraded.key, self.keys[-1]
        if rule.method == "worst":
            return text("C597", mark=mark, levels=levels)
        shown = number_text if rule.method == "mean" else pct
        clauses = "".join(text("C595", v=shown(low), key=key) for key, low in rule.bands)
        if rule.method == "mean":
            return text("C530", clauses=clauses, last=last, mark=mark, levels=levels)
        return text("C596", level=rule.level, clauses=clauses, last=last, mark=mark,
                    levels=levels)

    def example_band(self) -> Band:
        """A band edge to quote as the example of exact judging: the second band's when
        a value exactly on it belongs to it (≥), else the first such band."""
        bands = self.main.bands
        return next((b for b in (*bands[1:], *bands[:1]) if not b.strict), bands[0])

    def describe(self, levels: str = ROLLUP_LEVELS) -> list[str]:
        """The scheme in plain Japanese sentences (`config --show` and the report);
        `levels` names what is rolled up, as the plan calls its levels (Plan.rollup_levels)."""
        edge = self.example_band()
        points = "、".join(f"{g.key}＝{number_text(g.points)}点" for g in self.grades)
        return [text("C593", name=self.name),
                text(_BASIS_WORDS[self.basis][0], shares="・".join(pct(s) for s in self.shares)),
                *self._rate_sentences(),
                text("C594", bands=self._band_sentence(self.main)),
                self._maintain_sentence(),
                text("C526", b=f"{pct(edge.bound)}は{edge.grade}"),
                text("C527", mark=self.ungraded.key, label=self.ungraded.label,
                     keys="・".join(self.keys)),
                text("C529", points=points, mark=self.ungraded.key, levels=levels),
                self._rollup_sentence(levels),
                text("C531")]


# --- palettes: the colour-universal-design set (CUD 推奨配色セット ver.4), best grade first --------

#: (fill, text) per number of grades, every text at 4.5:1 or more on its fill; the grade's
#: letter or mark is always printed as well, so colour only helps.
_BLUE, _SKY, _YELLOW, _RED = ("#005AFF", "#FFFFFF"), ("#4DC4FF", "#000000"), \
    ("#FFF100", "#000000"), ("#FF4B00", "#000000")
_GREEN, _ORANGE, _PURPLE = ("#03AF7A", "#000000"), ("#F6AA00", "#000000"), ("#990099", "#FFFFFF")
PALETTES: dict[int, tuple[tuple[str, str], ...]] = {
    3: (_BLUE, _YELLOW, _RED),
    4: (_BLUE, _SKY, _YELLOW, _RED),
    5: (_GREEN, _BLUE, _SKY, _YELLOW, _RED),
    6: (_GREEN, _BLUE, _SKY, _YELLOW, _ORANGE, _RED),
    7: (_GREEN, _BLUE, _SKY, _YELLOW, _ORANGE, _RED, _PURPLE),
}
UNGRADED_COLOURS = ("#FFFFFF", "#000000")


def readable_text_colour(fill: str) -> str:
    """Black or white, whichever contrasts more with the fill (WCAG relative luminance)."""
    def channel(hex2: str) -> float:
        c = int(hex2, 16) / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = (channel(fill[i:i + 2]) for i in (1, 3, 5))
    lum = 0.2126 * r + 0.7152 * g + 0.0722 * b
    return "#000000" if (lum + 0.05) / 0.05 >= 1.05 / (lum + 0.05) else "#FFFFFF"


def tint(colour: str, share: Fraction = Fraction(1, 4)) -> str:
    """The colour mixed with white (share of the colour kept): light fills for worksheets."""
    parts = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    return "#" + "".join(f"{round(255 - (255 - c) * share):02X}" for c in parts)


def make_grades(entries: Iterable[tuple[str, str, Fraction | int]]) -> tuple[Grade, ...]:
    """Grades from (key, label, points), best first, coloured from the palette."""
    entries = list(entries)
    palette = PALETTES[len(entries)]
    return tuple(Grade(key, label, Fraction(points), fill, fg)
                 for (key, label, points), (fill, fg) in zip(entries, palette, strict=True))


def ungraded_grade(label: str = "", key: str = UNGRADED_MARK) -> Grade:
    return Grade(key, label or text("C505"), Fraction(0), *UNGRADED_COLOURS)


# --- the built-in schemes ---------------------------------------------------------------------

def _p(percent: int | str) -> Fraction:
    return Fraction(Decimal(str(percent))) / 100


def _bands(*items: tuple) -> tuple[Band, ...]:
    return tuple(Band(grade, _p(bound), *rest) for grade, bound, *rest in items)


def _mine() -> Scheme:
    grades = make_grades([("A", text("C501"), 4), ("B", text("C502"), 3),
                          ("C", text("C503"), 2), ("D", text("C504"), 1)])
    return Scheme(
        name=text("C600"), grades=grades, ungraded=ungraded_grade(), basis="prorated",
        main=BandSet("progress", _bands(("A", 100), ("B", 80), ("C", 0, True))),
        maintain=BandSet("ratio", _bands(("A", 100), ("B", 90), ("C", 80))),
        rollup=RollupRule("mean", (("A", Fraction(7, 2)), ("B", Fraction(5, 2)),
                                   ("C", Fraction(3, 2)))))


def _nagayo() -> Scheme:
    # S beyond the target; A beyond the baseline; B no better than the baseline and at most
    # 10 % worse; C more than 10 % worse. The same bands serve maintain KPIs.
    bands = _bands(("S", 100, True, "ratio"), ("A", 0, True), ("B", -10))
    return Scheme(
        name=text("C601"),
        grades=make_grades([("S", text("C610"), 4), ("A", text("C611"), 3),
                            ("B", text("C612"), 2), ("C", text("C613"), 1)]),
        ungraded=ungraded_grade(key="−"), basis="final",
        main=BandSet("change", bands), maintain=BandSet("change", bands),
        rollup=RollupRule("mean", (("S", Fraction(7, 2)), ("A", Fraction(5, 2)),
                                   ("B", Fraction(3, 2)))))


def _tama() -> Scheme:
    # The target spread 20/40/60/80/100 % over the plan's five years; graded against that
    # year's share. Maintain KPIs: actual ÷ target on the same edges.
    return Scheme(
        name=text("C602"),
        grades=make_grades([("①", text("C620"), 3), ("②", text("C621"), 2),
                            ("③", text("C622"), 1)]),
        ungraded=ungraded_grade(), basis="shares",
        shares=tuple(_p(s) for s in (20, 40, 60, 80, 100)),
        main=BandSet("progress", _bands(("①", 100), ("②", 60))),
        maintain=BandSet("ratio", _bands(("①", 100), ("②", 60))),
        rollup=RollupRule("mean", (("①", Fraction(5, 2)), ("②", Fraction(3, 2)))))


def _ino() -> Scheme:
    # ◎ beyond the final target, ○ exactly at it, △ between baseline and target, × at or
    # behind the baseline. Maintain KPIs: △ cannot occur (the target is the baseline's level).
    return Scheme(
        name=text("C603"),
        grades=make_grades([("◎", text("C630"), 4), ("○", text("C631"), 3),
                            ("△", text("C632"), 2), ("×", text("C633"), 1)]),
        ungraded=ungraded_grade(), basis="final",
        main=BandSet("progress", _bands(("◎", 100, True), ("○", 100), ("△", 0, True))),
        maintain=BandSet("ratio", _bands(("◎", 100, True), ("○", 100))),
        rollup=RollupRule("mean", (("◎", Fraction(7, 2)), ("○", Fraction(5, 2)),
                                   ("△", Fraction(3, 2)))))


def _osaka_library() -> Scheme:
    # actual ÷ target: A 110 % or more, B from 80 %, C from 50 %, D under 50 %.
    bands = _bands(("A", 110), ("B", 80), ("C", 50))
    return Scheme(
        name=text("C604"),
        grades=make_grades([("A", text("C640"), 4), ("B", text("C641"), 3),
                            ("C", text("C642"), 2), ("D", text("C643"), 1)]),
        ungraded=ungraded_grade(), basis="final",
        main=BandSet("ratio", bands), maintain=BandSet("ratio", bands),
        rollup=RollupRule("mean", (("A", Fraction(7, 2)), ("B", Fraction(5, 2)),
                                   ("C", Fraction(3, 2)))))


BUILTIN: dict[str, Callable[[], Scheme]] = {
    "mine": _mine, "nagayo": _nagayo, "tama": _tama, "ino": _ino,
    "osaka-library": _osaka_library,
}
DEFAULT_SCHEME = "mine"


def builtin(name: str) -> Scheme:
    """A built-in scheme by name (KeyError for an unknown one)."""
    return replace(BUILTIN[name](), base=name)
