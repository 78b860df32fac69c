"""The figures of a period put together: rates, targets, breakdowns, filed-vs-current."""

import json
from dataclasses import dataclass, field
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from survey_app.auth.models import User
from survey_app.dated_rules import get_rule
from survey_app.dossiers.models import Procedure
from survey_app.extensions import db
from survey_app.reports import queries
from survey_app.reports.periods import Period, next_plan_report
from survey_app.reports.stats import Rate, meets
from survey_app.schools import School


@dataclass(frozen=True)
class Indicator:
    key: str
    label: object  # lazy string
    target_key: str | None = None
    op: str | None = None  # ">=" or ">": how the figure must compare with its target
    short: object = ""  # column header where space is short


INDICATORS = (
    Indicator("coverage", _l("Tỷ lệ khảo sát"), "target.coverage", ">=", _l("Khảo sát")),
    Indicator("satisfaction", _l("Tỷ lệ hài lòng"), "target.satisfaction", ">", _l("Hài lòng")),
    Indicator("on_time", _l("Tỷ lệ giải quyết đúng hạn"), "target.on_time", ">", _l("Đúng hạn")),
    Indicator("online", _l("Tỷ lệ hồ sơ trực tuyến (toàn trình và một phần)")),
    Indicator(
        "online_l4",
        _l("Tỷ lệ hồ sơ trực tuyến toàn trình"),
        "target.online_l4",
        ">",
        _l("Trực tuyến toàn trình"),
    ),
    Indicator(
        "apology",
        _l("Tỷ lệ hồ sơ trễ hạn có thư xin lỗi trước hạn"),
        "target.apology",
        ">=",
        _l("Xin lỗi trước hạn"),
    ),
    Indicator("self_service", _l("Tỷ lệ phụ huynh tự đánh giá (mã QR, mã số)")),
    Indicator("self_satisfaction", _l("Tỷ lệ hài lòng khi phụ huynh tự đánh giá")),
    Indicator("assisted_satisfaction", _l("Tỷ lệ hài lòng khi có hỗ trợ (phiếu giấy, ki-ốt)")),
)
INDICATORS_BY_KEY = {i.key: i for i in INDICATORS}
TARGETED = tuple(i for i in INDICATORS if i.target_key)

COUNTS = (
    ("received", _l("Hồ sơ tiếp nhận")),
    ("surveyed", _l("Hồ sơ được khảo sát")),
    ("returned", _l("Hồ sơ đã trả kết quả")),
    ("cases_opened", _l("Phản ánh, kiến nghị mới")),
    ("suggestions", _l("Góp ý của phụ huynh hài lòng")),
)


class RatesMixin:
    """The rates shared by a whole period and a breakdown row (min_n applies to answers)."""

    intake: queries.Intake
    returns: queries.Returns
    min_n: int

    def rate(self, key: str) -> Rate:
        i, r, n = self.intake, self.returns, self.min_n
        return {
            "coverage": lambda: Rate.of(i.surveyed, i.received),
            "satisfaction": lambda: Rate.of(i.satisfied, i.surveyed, n),
            "on_time": lambda: Rate.of(r.early + r.on_time, r.returned),
            "online": lambda: Rate.of(i.online, i.received),
            "online_l4": lambda: Rate.of(i.online_l4, i.received),
            "apology": lambda: Rate.of(r.late_apologised, r.late),
            "self_service": lambda: Rate.of(i.self_service, i.surveyed, n),
            "self_satisfaction": lambda: Rate.of(i.self_satisfied, i.self_service, n),
            "assisted_satisfaction": lambda: Rate.of(i.assisted_satisfied, i.assisted, n),
        }[key]()

    def count(self, key: str) -> int:
        if key in ("returned",):
            return self.returns.returned
        if key == "cases_opened":
            return getattr(self, "cases", queries.CaseFigures()).opened
        return getattr(self.intake, key)


@dataclass
class Figures(RatesMixin):
    period: Period
    school_id: int | None
    intake: queries.Intake
    returns: queries.Returns
    flow: queries.Flow
    cases: queries.CaseFigures
    aspects: list
    reasons: dict
    notices: queries.Notices = field(default_factory=queries.Notices)
    min_n: int = 0  # the whole scope is not a breakdown cell: "—" only when empty

    def as_json(self) -> str:
        """What a filed report freezes: every headline rate's counts and every count."""
        return json.dumps(
            {
                "rates": {i.key: self.rate(i.key).as_json() for i in INDICATORS},
                "counts": {key: self.count(key) for key, _label in COUNTS},
            },
            sort_keys=True,
        )


def compute(
    school_id: int | None,
    period: Period,
    today: date | None = None,
    by_school: list["BreakdownRow"] | None = None,
) -> Figures:
    """All figures of `period` for one school (or all schools: None).

    `by_school`: the same scope's table by school (`breakdown(..., "school")`), when the
    page shows it anyway (the office's dashboard and report): the intake and the resolved
    dossiers are then its sums, not a second pass over the same rows (B7, BENCHMARKS.md)."""
    aspects, reasons = queries.aspects(school_id, period)
    if by_school is not None:
        intake = queries.total(queries.Intake, [row.intake for row in by_school])
        returns = queries.total(queries.Returns, [row.returns for row in by_school])
    else:
        intake = queries.intake(school_id, period)[None]
        returns = queries.returns(school_id, period)[None]
    return Figures(
        period=period,
        school_id=school_id,
        intake=intake,
        returns=returns,
        flow=queries.flow(school_id, period, today=today)[None],
        cases=queries.cases(school_id, period, today=today)[None],
        aspects=aspects,
        reasons=reasons,
        notices=queries.notices(school_id, period),
    )


def targets(school_id: int | None, period: Period) -> dict[str, float]:
    """The targets in force on the period's last day."""
    return {
        i.key: get_rule(i.target_key, school_id, period.last_day) for i in TARGETED if i.target_key
    }


@dataclass
class IndicatorRow:
    indicator: Indicator
    rate: Rate
    target: float | None
    met: bool | None  # None: no target, no figure, or a period still running
    running: bool = False  # a targeted figure of a period not yet over: not judged


def headline(
    figures: RatesMixin, target_values: dict[str, float], running: bool = False
) -> list[IndicatorRow]:
    """Each indicator against its target. `running`: the period is not over (answers and
    returns still arrive), so its figures are shown but never judged "Đạt"/"Chưa đạt"."""
    rows = []
    for i in INDICATORS:
        rate = figures.rate(i.key)
        target = target_values.get(i.key)
        met = None
        if target is not None and not running:
            assert i.op is not None  # an indicator with a target says how to compare with it
            met = meets(rate.value, target, i.op)
        rows.append(IndicatorRow(i, rate, target, met, running and target is not None))
    return rows


@dataclass
class BreakdownRow(RatesMixin):
    key: object
    label: str
    intake: queries.Intake
    returns: queries.Returns
    min_n: int
    cases: queries.CaseFigures = field(default_factory=queries.CaseFigures)


def min_cell_n(school_id: int | None, period: Period) -> int:
    return int(get_rule("min_cell_n", school_id, period.last_day))


def breakdown(school_id: int | None, period: Period, group: str) -> list[BreakdownRow]:
    """One row per procedure / clerk / school / month, with rates under the minimum-n rule."""
    intakes = queries.intake(school_id, period, group)
    returned = queries.returns(school_id, period, group)
    case_rows = queries.cases(school_id, period, group) if group == "school" else {}
    if group == "month":
        keys = [m.key for m in period.months()]
    elif group == "school":  # every school, those without data too
        keys = list(db.session.scalars(select(School.id).order_by(School.name)))
    else:
        keys = sorted(set(intakes) | set(returned) | set(case_rows), key=lambda k: (k is None, k))
    labels = _labels(group, keys)
    n = min_cell_n(school_id, period)
    return [
        BreakdownRow(
            key=k,
            label=labels.get(k, str(k)),
            intake=intakes.get(k, queries.Intake()),
            returns=returned.get(k, queries.Returns()),
            min_n=n,
            cases=case_rows.get(k, queries.CaseFigures()),
        )
        for k in keys
    ]


def _labels(group: str, keys: list) -> dict:
    """Display names of breakdown keys (a small lookup, not the data)."""
    if group == "month":
        return {k: f"{k[5:7]}/{k[:4]}" for k in keys}
    if group == "procedure":
        rows = db.session.execute(
            select(Procedure.code, func.min(Procedure.name))
            .where(Procedure.code.in_(keys))
            .group_by(Procedure.code)
        )
    elif group == "school":
        rows = db.session.execute(select(School.id, School.name).where(School.id.in_(keys)))
    elif group == "clerk":
        rows = db.session.execute(
            select(User.id, func.coalesce(func.nullif(User.full_name, ""), User.username)).where(
                User.id.in_([k for k in keys if k is not None])
            )
        )
        return {None: str(_l("(không ghi nhận)")), **dict(rows.tuples().all())}
    else:
        raise ValueError(group)
    return dict(rows.tuples().all())


@dataclass
class Difference:
    label: object
    filed: str
    current: str
    change: str  # "" when equal


def filed_differences(filed_json: str, current: Figures) -> list[Difference]:
    """Each filed figure beside the current one: late answers never change a report silently."""
    filed = json.loads(filed_json)
    out = []
    for i in INDICATORS:
        then = Rate.of(*filed["rates"].get(i.key, [0, 0]))
        now = current.rate(i.key)
        change = ""
        if then.as_json() != now.as_json():
            if then.value is not None and now.value is not None:
                points = (now.value - then.value) * 100
                change = f"{points:+.1f}".replace(".", ",") + " " + str(_l("điểm %"))
            else:
                change = "≠"
        out.append(
            Difference(
                i.label,
                f"{then.pct()} ({then.counts_text()})",
                f"{now.pct()} ({now.counts_text()})",
                change,
            )
        )
    for key, label in COUNTS:
        filed_n, now_n = filed["counts"].get(key, 0), current.count(key)
        out.append(
            Difference(
                label, str(filed_n), str(now_n), f"{now_n - filed_n:+d}" if now_n != filed_n else ""
            )
        )
    return out


def next_report_due(school_id: int | None, today: date) -> tuple[date, Period] | None:
    """The next periodic report due on or after `today` (its due date, and the report)."""
    report = next_plan_report(school_id, today)
    if report is None:
        return None
    assert report.due is not None  # a plan report always has its due date
    return report.due, report


@dataclass
class ProvenanceRow:
    """One clerk's month: self-service answers about the dossiers they returned, and how
    many of them look assisted (the principal's only)."""

    month: str  # "MM/YYYY"
    clerk: str
    split: queries.Provenance
    min_n: int

    @property
    def rate(self) -> Rate:
        return Rate.of(self.split.looks_assisted, self.split.self_service, self.min_n)


def provenance_by_clerk(school_id: int, period: Period) -> list[ProvenanceRow]:
    """Per month of receipt and clerk who returned the dossier, under the minimum-n rule."""
    split = queries.provenance(school_id, period, "clerk_month")
    clerks = _labels("clerk", sorted({k[1] for k in split if k[1] is not None}))
    n = min_cell_n(school_id, period)
    rows = [
        ProvenanceRow(_labels("month", [month])[month], clerks.get(clerk, str(clerk)), s, n)
        for (month, clerk), s in split.items()
    ]
    return sorted(rows, key=lambda row: (row.month[3:], row.month[:2], row.clerk))
