"""`flask report ...`: monthly and period reports as CSV, XLSX, PDF or DOCX files."""

import click
from flask.cli import with_appcontext
from flask_babel import force_locale
from sqlalchemy import select

from survey_app.extensions import db
from survey_app.reports import exports, periods
from survey_app.reports.periods import PeriodError
from survey_app.schools import School


@click.group("report")
def report_cli():
    """Reports: figures, charts and row sheets of a month or a cumulative period."""


def _options(command):
    command = click.option(
        "--school",
        "school_code",
        default=None,
        help="School code; default: the only school, or all schools (figures only).",
    )(command)
    command = click.option(
        "--output", "output", required=True, type=click.Path(dir_okay=False), help="File to write."
    )(command)
    return click.option(
        "--format",
        "fmt",
        required=True,
        type=click.Choice(exports.FORMATS),
        help="csv, xlsx, pdf or docx (the report to edit and sign, Decree 30/2020 layout).",
    )(command)


def _write(key: str, fmt: str, output: str, school_code: str | None, kinds: tuple) -> None:
    schools = db.session.scalars(
        select(School).where(School.code == school_code) if school_code else select(School)
    ).all()
    if school_code and not schools:
        raise click.ClickException(f"Unknown school {school_code!r}.")
    school = schools[0] if len(schools) == 1 else None
    try:
        period = periods.parse_period(key, school.id if school else None)
    except PeriodError:
        raise click.BadParameter(f"unreadable period {key!r}", param_hint="PERIOD") from None
    if period.kind not in kinds:
        raise click.BadParameter(
            f"{key!r} is not a {' / '.join(kinds)} period", param_hint="PERIOD"
        )
    if school is None:
        click.echo(
            "Several schools: writing the figures of all schools (no personal data).", err=True
        )
    with force_locale("vi"):
        data, _name, _media = exports.export(school, period, school is not None, fmt)
    with open(output, "wb") as f:
        f.write(data)
    click.echo(f"{output}\t{len(data)} bytes\t{period.key}\t{school.code if school else 'ALL'}")


@report_cli.command("monthly")
@click.argument("month")
@_options
@with_appcontext
def monthly(month, fmt, output, school_code):
    """The report of MONTH (YYYY-MM)."""
    _write(month, fmt, output, school_code, ("month",))


@report_cli.command("period")
@click.argument("period")
@_options
@with_appcontext
def period_report(period, fmt, output, school_code):
    """A periodic report of the plan (2020-R3, 2020-R6, 2020-R9, 2020-R12), a calendar
    cumulative one (2020-Q1, 2020-H1, 2020-9M, 2020), a month or a custom range."""
    _write(
        period,
        fmt,
        output,
        school_code,
        ("report", "quarter", "cumulative", "year", "month", "custom"),
    )
