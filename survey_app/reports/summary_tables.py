"""A report as (headers, rows) tables, built once from the figures; one writer per format.

Cells are str, int, float (a share, written with a percentage format), date / datetime
(local time, written as dd/mm/yyyy [hh:mm]), or None ("—"). Each table names its sheet in
the XLSX (Vietnamese, at most 31 characters).
"""

from dataclasses import dataclass, field
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import select

from survey_app import questions
from survey_app.auth.models import Role, User
from survey_app.dossiers.models import IntakeChannel, NoticeKind
from survey_app.extensions import db
from survey_app.reports import figures as F
from survey_app.reports import queries
from survey_app.reports.models import FiledReport
from survey_app.reports.periods import Period, tentative_until
from survey_app.reports.stats import DASH, Rate, pct
from survey_app.schools import School
from survey_app.timeutil import format_date, local_today

PCT, INT, NUM, TEXT = "pct", "int", "num", "text"  # num: one decimal
DATE, DATETIME = "date", "datetime"


@dataclass
class Table:
    name: str  # the table's key (short, no personal data in it)
    title: str
    headers: list[str]
    rows: list[list]
    formats: list[str] = field(default_factory=list)  # per column: pct / int / text / date...
    note: str = ""
    sheet: str = ""  # its XLSX sheet's name; "" for the small tables of the summary sheet


@dataclass
class Report:
    school: School | None  # None: all schools
    period: Period
    figures: F.Figures
    targets: dict
    headline: list
    tables: list[Table]
    personal: bool  # row-level sheets with names and comments (the school's principal only)
    filed: FiledReport | None = None
    differences: list = field(default_factory=list)
    principal_name: str = ""
    made_on: date = field(default_factory=local_today)

    @property
    def number(self) -> str:
        return (self.filed.number or "") if self.filed else ""


def cell_text(value, fmt: str) -> str:
    """A cell as the printed reports (PDF, DOCX) show it: "95,0%", "2,5", "—"."""
    if value is None:
        return DASH
    if fmt == PCT and isinstance(value, float):
        return pct(value)
    if isinstance(value, float):
        return f"{value:.1f}".replace(".", ",")
    return str(value)


def recipient(report: "Report") -> str:
    """Whom the printed report is addressed to ("Kính gửi"): the school's parent body."""
    school = report.school
    return (school.authority if school else None) or _("Cơ quan quản lý cấp trên")


def rate_cells(rate: Rate) -> list:
    low, high = rate.interval or (None, None)
    return [rate.value, rate.numerator, rate.denominator, low, high]


def rate_headers() -> list[str]:
    return [
        _("Tỷ lệ"),
        _("Tử số"),
        _("Mẫu số"),
        _("Khoảng tin cậy 95%: từ"),
        _("Khoảng tin cậy 95%: đến"),
    ]


def interval_note() -> str:
    """The 95% interval in plain words, said once wherever rates are shown."""
    return _(
        "Khoảng tin cậy 95%: với số phiếu đã có, tỷ lệ thật nằm trong khoảng này với độ tin "
        "cậy 95% (phương pháp Wilson); càng ít phiếu, khoảng càng rộng."
    )


def summary_table(report_headline) -> Table:
    rows = []
    for row in report_headline:
        verdict = (
            _("Đang diễn ra")
            if row.running
            else {True: _("Đạt"), False: _("Chưa đạt"), None: "—"}[row.met]
        )
        sign = "≥" if row.indicator.op == ">=" else ">"
        target = None if row.target is None else f"{sign} {row.target * 100:g}%"
        rows.append([str(row.indicator.label), *rate_cells(row.rate), target, verdict])
    return Table(
        "summary",
        _("Các chỉ số so với chỉ tiêu"),
        [_("Chỉ số"), *rate_headers(), _("Chỉ tiêu"), _("Đánh giá")],
        rows,
        [TEXT, PCT, INT, INT, PCT, PCT, TEXT, TEXT],
        note=interval_note() + " " + _("“—”: không có dữ liệu."),
    )


def counts_table(figures: F.Figures) -> Table:
    rows = [[str(label), figures.count(key)] for key, label in F.COUNTS]
    return Table("counts", _("Số lượng"), [_("Nội dung"), _("Số lượng")], rows, [TEXT, INT])


def onestop_table(figures: F.Figures) -> Table:
    i, r, f = figures.intake, figures.returns, figures.flow
    rows = [
        [_("Kỳ trước chuyển qua"), f.carried_over],
        [_("Tiếp nhận mới trong kỳ"), i.received],
        # by channel, in the channel's own words ("– trực tuyến toàn trình")
        *([f"– {c.label[:1].lower()}{c.label[1:]}", getattr(i, c.value)] for c in IntakeChannel),
        [_("Đã giải quyết (trả kết quả)"), r.returned],
        [_("– trước hạn"), r.early],
        [_("– đúng hạn"), r.on_time],
        [_("– trễ hạn"), r.late],
        [_("– trong đó nhập bù (trả kết quả nhập sau)"), r.backdated],
        [_("– trong đó tính hạn theo thời điểm có kết quả"), r.ready_recorded],
        [_("– trễ hạn, có thư xin lỗi trước hạn"), r.late_apologised],
        [_("– trễ hạn, có thư xin lỗi nhưng không kịp thời"), r.apologised_late],
        [_("– trong đó thư xin lỗi nhập bù (thời điểm gửi nhập sau)"), r.apology_backdated],
        [_("Rút hồ sơ"), f.withdrawn],
        # the forms issued in the period, in their own titles (Mẫu 02, 03)
        *([kind.label, getattr(figures.notices, kind.value)] for kind in NoticeKind),
        [_("Đang giải quyết cuối kỳ"), f.open_end],
        [_("– trong hạn"), f.open_end_within_due],
        [_("– quá hạn"), f.open_end_past_due],
    ]
    return Table(
        "onestop",
        _("Tình hình giải quyết hồ sơ"),
        [_("Nội dung"), _("Số hồ sơ")],
        rows,
        [TEXT, INT],
    )


def aspects_table(figures: F.Figures) -> Table:
    rows = []
    for a in figures.aspects:
        answers = "; ".join(f"{label}: {a.counts[value]}" for value, label in a.question.choices)
        rows.append(
            [str(a.question.label), answers, a.answered, Rate.of(a.negative, a.answered).value]
        )
    return Table(
        "aspects",
        _("Kết quả theo từng nội dung"),
        [_("Nội dung"), _("Trả lời"), _("Số trả lời"), _("Tỷ lệ ý kiến chưa hài lòng")],
        rows,
        [TEXT, TEXT, INT, PCT],
        sheet=_("Theo nội dung"),
    )


def reasons_table(figures: F.Figures) -> Table:
    rows = [[str(label), figures.reasons[code]] for code, label in questions.REASONS]
    return Table(
        "reasons",
        _("Lý do chưa hài lòng"),
        [_("Lý do"), _("Số lượt")],
        rows,
        [TEXT, INT],
        sheet=_("Lý do chưa hài lòng"),
    )


def cases_table(figures: F.Figures) -> Table:
    c = figures.cases
    median = None if c.median_days is None else round(c.median_days, 1)
    rows = [
        [_("Phản ánh mới trong kỳ"), c.opened],
        [_("– nghiêm trọng (chi phí ngoài quy định, nhũng nhiễu)"), c.serious],
        [_("Đã giải quyết trong kỳ"), c.resolved],
        [_("Còn mở cuối kỳ"), c.open_end],
        [_("– quá hạn xử lý"), c.overdue],
        [_("Số ngày giải quyết (trung vị)"), median],
        [_("Góp ý của phụ huynh hài lòng"), figures.intake.suggestions],
    ]
    return Table(
        "cases", _("Phản ánh, kiến nghị"), [_("Nội dung"), _("Số lượng")], rows, [TEXT, INT]
    )


def breakdown_table(rows: list[F.BreakdownRow], group: str) -> Table:
    titles = {
        "procedure": (_("Theo thủ tục"), _("Thủ tục"), _("Theo thủ tục")),
        "month": (_("Theo tháng"), _("Tháng"), _("Theo tháng")),
        "clerk": (_("Theo cán bộ tiếp nhận"), _("Cán bộ"), _("Theo cán bộ")),
        "school": (_("Theo trường"), _("Trường"), _("Theo trường")),
    }
    title, key_header, sheet = titles[group]
    out = []
    for r in rows:
        out.append(
            [
                r.label,
                r.intake.received,
                r.intake.surveyed,
                r.rate("coverage").value,
                r.rate("satisfaction").value,
                r.returns.returned,
                r.rate("on_time").value,
                r.rate("online_l4").value,
                r.rate("self_service").value,
            ]
        )
    return Table(
        f"by_{group}",
        title,
        [
            key_header,
            _("Tiếp nhận"),
            _("Được khảo sát"),
            _("Tỷ lệ khảo sát"),
            _("Tỷ lệ hài lòng"),
            _("Đã trả kết quả"),
            _("Tỷ lệ đúng hạn"),
            _("Trực tuyến toàn trình"),
            _("Tự đánh giá"),
        ],
        out,
        [TEXT, INT, INT, PCT, PCT, INT, PCT, PCT, PCT],
        note=_("Ô có dưới %(n)d phiếu trả lời hiển thị “—”.", n=rows[0].min_n if rows else 5),
        sheet=sheet,
    )


def filed_table(filed: FiledReport, differences: list) -> Table:
    rows = [[str(d.label), d.filed, d.current, d.change] for d in differences]
    return Table(
        "filed",
        _(
            "Số liệu đã nộp (số %(number)s, ngày %(day)s) và hiện tại",
            number=filed.number or "—",
            day=format_date(filed.filed_at),
        ),
        [_("Chỉ số"), _("Đã nộp"), _("Hiện tại"), _("Chênh lệch")],
        rows,
        [TEXT, TEXT, TEXT, TEXT],
        note=_("Số liệu hiện tại thay đổi khi có phiếu trả lời muộn hoặc hồ sơ được cập nhật."),
    )


def principal_name(school: School | None) -> str:
    if school is None:
        return ""
    user = db.session.scalars(
        select(User)
        .where(User.school_id == school.id, User.role == Role.PRINCIPAL, User.active.is_(True))
        .order_by(User.id)
        .limit(1)
    ).first()
    return (user.full_name or user.username) if user else ""


def build(
    school: School | None, period: Period, personal: bool, today: date | None = None
) -> Report:
    """Everything a report shows, from the queries; `personal` adds the clerk breakdown."""
    school_id = school.id if school else None
    by_school = F.breakdown(None, period, "school") if school is None else None
    figures = F.compute(school_id, period, today=today, by_school=by_school)
    targets = F.targets(school_id, period)
    running = tentative_until(period, today or local_today()) is not None
    headline = F.headline(figures, targets, running)
    tables = [
        summary_table(headline),
        counts_table(figures),
        onestop_table(figures),
        aspects_table(figures),
        reasons_table(figures),
        cases_table(figures),
        provenance_table(school_id, period),
        national_table(queries.national(school_id, period, today)),
        breakdown_table(F.breakdown(school_id, period, "procedure"), "procedure"),
    ]
    if len(period.months()) > 1:
        tables.append(breakdown_table(F.breakdown(school_id, period, "month"), "month"))
    if by_school is not None:
        tables.append(breakdown_table(by_school, "school"))
    elif personal:
        tables.append(breakdown_table(F.breakdown(school_id, period, "clerk"), "clerk"))
        assert school_id is not None  # no by_school: one school's report
        tables.append(provenance_clerk_table(school_id, period))
    filed = None
    if school is not None and period.filable:
        filed = db.session.scalars(
            select(FiledReport).where(
                FiledReport.school_id == school.id, FiledReport.period == period.key
            )
        ).first()
    report = Report(school, period, figures, targets, headline, tables, personal, filed)
    report.made_on = today or report.made_on  # "tạm tính đến" the day the report is made
    if filed is not None:
        report.differences = F.filed_differences(filed.figures, figures)
        tables.insert(0, filed_table(filed, report.differences))
    report.principal_name = principal_name(school)
    return report


def provenance_table(school_id: int | None, period: Period) -> Table:
    """Self-service, assisted, and self-service that looks assisted, side by side."""
    s = queries.provenance(school_id, period)[None]
    minutes, repeat = queries.assisted_rules(school_id, period)
    rows = [
        [_("Phụ huynh tự đánh giá (mã QR, mã số)"), Rate.of(s.self_service, s.surveyed)],
        [_("Có hỗ trợ (phiếu giấy, ki-ốt)"), Rate.of(s.assisted, s.surveyed)],
        [
            _("Tự đánh giá nhưng có dấu hiệu được hỗ trợ"),
            Rate.of(s.looks_assisted, s.self_service),
        ],
        [
            _("– từ mạng của bộ phận một cửa, dưới %(n)d phút sau khi trả kết quả", n=minutes),
            Rate.of(s.desk_soon, s.self_service),
        ],
        [
            _("– cùng một thiết bị trả lời từ %(n)d hồ sơ trở lên trong ngày", n=repeat),
            Rate.of(s.same_device, s.self_service),
        ],
    ]
    return Table(
        "provenance",
        _("Nguồn phiếu trả lời"),
        [_("Nội dung"), *rate_headers()],
        [[label, *rate_cells(rate)] for label, rate in rows],
        [TEXT, PCT, INT, INT, PCT, PCT],
        note=_(
            "Tự đánh giá và có hỗ trợ: trên số hồ sơ được khảo sát; dấu hiệu được hỗ trợ: "
            "trên số phiếu tự đánh giá."
        ),
        sheet=_("Nguồn phiếu trả lời"),
    )


def provenance_clerk_table(school_id: int, period: Period) -> Table:
    """The principal's per-clerk view: never in the office's report nor the signed PDF."""
    out = []
    n = F.min_cell_n(school_id, period)
    for row in F.provenance_by_clerk(school_id, period):
        low, high = row.rate.interval or (None, None)
        s = row.split
        out.append(
            [
                row.month,
                row.clerk,
                s.self_service,
                s.looks_assisted,
                row.rate.value,
                low,
                high,
                s.desk_soon,
                s.same_device,
            ]
        )
    return Table(
        "by_clerk_provenance",
        _("Phiếu tự đánh giá có dấu hiệu được hỗ trợ, theo cán bộ trả kết quả"),
        [
            _("Tháng"),
            _("Cán bộ trả kết quả"),
            _("Tự đánh giá"),
            _("Có dấu hiệu được hỗ trợ"),
            _("Tỷ lệ"),
            _("KTC 95% thấp"),
            _("KTC 95% cao"),
            _("Từ mạng một cửa, ngay sau khi trả"),
            _("Cùng thiết bị, nhiều hồ sơ"),
        ],
        out,
        [TEXT, TEXT, INT, INT, PCT, PCT, PCT, INT, INT],
        note=_("Ô có dưới %(n)d phiếu tự đánh giá hiển thị “—”.", n=n),
        sheet=_("Hỗ trợ theo cán bộ"),
    )


def national_table(n: queries.National) -> Table:
    """Decision 766/QĐ-TTg's indicators beside the plan's own (docs/figures-national.md)."""
    rows = [
        [
            _("Tỷ lệ hài lòng trong tiếp nhận, giải quyết TTHC (Quyết định 766/QĐ-TTg)"),
            *rate_cells(Rate.of(n.dossiers - n.not_satisfied, n.dossiers)),
        ],
        [
            _("Tỷ lệ hồ sơ trực tuyến trên các thủ tục có cung cấp trực tuyến"),
            *rate_cells(Rate.of(n.online_of_offered, n.offered_online)),
        ],
        [
            _("– trong đó trực tuyến toàn trình"),
            *rate_cells(Rate.of(n.full_online_of_offered, n.offered_online)),
        ],
    ]
    return Table(
        "national",
        _("Chỉ số theo Bộ chỉ số phục vụ người dân (Quyết định 766/QĐ-TTg)"),
        [_("Chỉ số"), *rate_headers()],
        rows,
        [TEXT, PCT, INT, INT, PCT, PCT],
        note=_(
            "Hài lòng theo Quyết định 766/QĐ-TTg: (hồ sơ tiếp nhận − hồ sơ có ý kiến không hài"
            " lòng, có phản ánh, kiến nghị hoặc quá hạn) / hồ sơ tiếp nhận."
        ),
    )
