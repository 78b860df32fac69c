"""Dates and numbers out of range (issue 16, finding 4): one parser (survey_app/parsing.py)
for query parameters, form fields, CSV columns, CLI arguments and URL ids. Years outside
2000-2100 and integers outside 64-bit are a Vietnamese 400 (or a named import error),
never a 500 and never a stored row. Both databases.
"""

from datetime import date, datetime

import pytest
from sqlalchemy import func, select

from survey_app.dossiers.models import CalendarDay, Dossier, DossierStatus
from survey_app.extensions import db
from survey_app.parsing import (
    INT_MAX,
    ParseError,
    parse_date,
    parse_datetime,
    parse_id,
    parse_int,
    parse_month,
    parse_year,
)
from tests.test_dossiers import local_now, post_form
from tests.test_import import _csv


@pytest.mark.parametrize(
    "url",
    [
        "/dossiers?month=9999-12",
        "/dossiers?month=0001-01",
        "/dossiers?month=2101-01",
        "/dossiers?procedure=99999999999999999999999",
        "/dossiers?procedure=9223372036854775808",
        "/dossiers/slips?date=0001-01-01",
        "/dossiers/slips?date=9999-12-31",
        "/calendar?year=0001",
    ],
)
def test_out_of_range_query_is_400_in_vietnamese(client, auth, url):
    auth.login("principal")
    response = client.get(url)
    assert response.status_code == 400, url
    html = response.get_data(as_text=True)
    assert any(m in html for m in ("2000–2100", "không hợp lệ")), html[:300]


def test_largest_procedure_id_is_simply_not_found(client, auth):
    auth.login("principal")
    assert client.get(f"/dossiers?procedure={INT_MAX}").status_code == 200


def test_huge_path_id_is_404(client, auth):
    auth.login("principal")
    assert client.get("/cases/99999999999999999999999").status_code == 404
    assert client.get(f"/procedures/{INT_MAX + 1}/edit").status_code == 404


def test_return_at_year_one_is_400_and_nothing_changes(client, auth, make):
    auth.login("clerk")
    dossier = make.dossier(received_at=local_now())
    url = f"/dossiers/{dossier.code}/return"
    response = post_form(
        client, url, {"returned_at": "0001-01-01T00:00", "return_channel": "counter"}
    )
    assert response.status_code == 400
    assert "2000–2100" in response.get_data(as_text=True)
    db.session.refresh(dossier)
    assert dossier.status is DossierStatus.RECEIVED and dossier.returned_at is None


def test_calendar_day_of_year_one_is_refused(client, auth, make):
    auth.login("principal")
    data = {"day": "0001-01-01", "kind": "off", "note": "x"}
    response = post_form(client, "/calendar/days", data, "/calendar?year=2020")
    assert response.status_code == 400
    assert db.session.scalar(select(func.count()).select_from(CalendarDay)) == 0


@pytest.mark.parametrize("day", ["0001-01-01", "1000-01-01", "9999-12-31T23:59"])
def test_import_rows_outside_the_years_are_named_errors(runner, make, tmp_path, day):
    make.school()
    row = f"XAC-NHAN-HS,,,Nguyễn Thị Con,6A1,counter,{day},"
    path = tmp_path / "d.csv"
    path.write_text(_csv(row), encoding="utf-8")
    result = runner.invoke(args=["dossiers", "import", str(path)])
    assert result.exit_code != 0
    assert "received_at" in result.output and "2100" in result.output
    assert db.session.scalar(select(func.count()).select_from(Dossier)) == 0


def test_cli_date_argument_outside_the_years_is_a_usage_error(runner):
    result = runner.invoke(args=["data", "purge", "--before", "0001-01-01", "--yes"])
    assert result.exit_code == 2 and "2000–2100" in result.output


def test_the_parser():
    assert parse_date("2026-01-31") == date(2026, 1, 31)
    assert parse_month("2100-12") == date(2100, 12, 1)
    assert parse_datetime("2026-01-31T08:30") == datetime(2026, 1, 31, 8, 30)
    assert parse_year("2000") == 2000 and parse_id("42") == 42
    assert parse_int("-9223372036854775808") == -(2**63)
    bad = [
        (parse_date, "0001-01-01"),
        (parse_date, "2026-02-30"),
        (parse_date, "２０２６-01-01"),
        (parse_month, "9999-12"),
        (parse_month, "2026-13"),
        (parse_datetime, "1999-12-31T23:59"),
        (parse_year, "99999"),
        (parse_id, "0"),
        (parse_int, "9223372036854775808"),
        (parse_int, "1e3"),
        (parse_int, "٣"),  # Arabic-Indic digit: isdigit() but not ASCII
    ]
    for parse, text in bad:
        with pytest.raises(ParseError):
            parse(text)
