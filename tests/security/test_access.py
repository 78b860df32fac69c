"""Row 23: roles and schools (IDOR, ASVS 5.0 8.2.2) on every route.

School B's principal and clerk aim every route at school A's rows (GET, and POST with a
valid CSRF token and a payload that would succeed for A's own staff): 403/404, nothing
changes. Sequential ids are walked. Clerks never reach a case route nor see a comment;
the office reaches no personal data in any page or export.
"""

import io
import re
from urllib.parse import parse_qsl, urlsplit

from docx import Document
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import select

from survey_app.cases.models import Case
from survey_app.dossiers.models import Dossier
from survey_app.extensions import db
from survey_app.reports.exports import FORMATS
from survey_app.timeutil import to_local
from tests.security.conftest import (
    APPLICANT,
    APPLICANT_PHONE,
    COMMENT,
    CONTACT_PHONE,
    STUDENT,
    SUGGESTION,
    args_for,
    build_url,
    login,
    rules,
    snapshot,
    tablet,
    valid_payloads,
)

ID_ARGS = {"code", "short_code", "case_id", "procedure_id", "day_id", "device_id", "user_id"}


def _text_of(response) -> str:
    """What a person would read in a response: HTML/CSV text, XLSX cells, PDF text."""
    data = response.data
    if data.startswith(b"PK") and b"word/document.xml" in data:
        document = Document(io.BytesIO(data))
        cells = (c.text for t in document.tables for row in t.rows for c in row.cells)
        return " ".join([*(p.text for p in document.paragraphs), *cells])
    if data.startswith(b"PK"):
        workbook = load_workbook(io.BytesIO(data))
        return " ".join(
            str(cell.value)
            for ws in workbook.worksheets
            for row in ws.iter_rows()
            for cell in row
            if cell.value is not None
        )
    if data.startswith(b"%PDF"):
        return " ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    return data.decode("utf-8", "replace")


def test_other_schools_staff_reach_nothing_of_school_a(app, world):
    """Every route with an id, aimed at A's rows by B's principal and clerk: 403/404."""
    payloads = valid_payloads(world)
    before = snapshot()
    checked = 0
    for user in (world.b.principal, world.b.clerk):
        client, token = login(app, user)
        for method in ("GET", "POST"):
            for rule, _view in rules(app, method):
                if not ID_ARGS & set(rule.arguments):
                    continue
                url = build_url(rule, args_for(world, rule.endpoint))
                data = {**payloads.get(rule.endpoint, {}), "csrf_token": token}
                response = client.open(url, method=method, data=data if method == "POST" else None)
                assert response.status_code in (403, 404), (user.username, method, url)
                checked += 1
    assert checked >= 25
    assert snapshot() == before


def test_a_kiosk_of_school_b_reaches_nothing_of_school_a(app, world):
    """B's tablet, aimed at A's dossiers by short code and tracking code: 404, nothing stored;
    every staff route: 403."""
    app.config["SURVEY_LOOKUP_LIMIT"] = app.config["SURVEY_LOOKUP_GLOBAL_LIMIT"] = "999/minute"
    before = snapshot()
    client, token = tablet(app, world.b)
    for dossier in (world.a.kiosk_dossier, world.a.link_dossier, world.a.fresh_dossier):
        for code in (dossier.short_code, dossier.short_code_display, dossier.code):
            assert client.get(f"/kiosk/{code}").status_code == 404, code
            posted = client.post("/kiosk", data={"code": code, "csrf_token": token})
            assert posted.status_code == 404, code
        answer = {"overall": "satisfied", "csrf_token": token}
        assert client.post(f"/kiosk/{dossier.short_code}", data=answer).status_code == 404
    for rule, view in rules(app, "GET"):
        allowed = getattr(view, "allowed_roles", None)
        if allowed and "kiosk" not in allowed:
            url = build_url(rule, args_for(world, rule.endpoint))
            assert client.get(url).status_code == 403, url
    assert snapshot() == before


def test_sequential_ids_and_codes_show_only_the_own_school(app, world):
    client, _token = login(app, world.b.principal)
    own_cases = set(db.session.scalars(select(Case.id).where(Case.school_id == world.b.school.id)))
    assert {world.b.case.id, world.b.resolved_case.id} <= own_cases
    top = db.session.scalar(select(db.func.max(Case.id))) + 3
    for case_id in range(1, top):
        expected = 200 if case_id in own_cases else 404
        assert client.get(f"/cases/{case_id}").status_code == expected, case_id
    own_codes = set(
        db.session.scalars(select(Dossier.code).where(Dossier.school_id == world.b.school.id))
    )
    for n in range(1, 40):  # the factories' codes are T-000001, T-000002...
        code = f"T-{n:06d}"
        expected = 200 if code in own_codes else 404
        assert client.get(f"/dossiers/{code}").status_code == expected, code


def test_school_parameters_and_searches_never_cross_schools(app, world):
    """Exports, charts, dashboard and register searched for A's data by B's principal."""
    client, _token = login(app, world.b.principal)
    a = world.a
    secrets_of_a = (APPLICANT, APPLICANT_PHONE, STUDENT, COMMENT, CONTACT_PHONE, "AAA")
    for fmt in FORMATS:
        response = client.get(
            "/reports/export", query_string={"period": "2030", "format": fmt, "school": "AAA"}
        )
        assert response.status_code in (200, 400)
    today = to_local(a.case_dossier.returned_at).strftime("%Y-%m")
    urls = [f"/reports/export?period={today}&format={fmt}&school=AAA" for fmt in FORMATS] + [
        f"/dashboard?school=AAA&period={today}",
        f"/reports?school=AAA&period={today}",
        f"/reports/charts/trend.svg?school=AAA&period={today}",
        f"/dossiers?q={APPLICANT}",
        f"/dossiers?q={a.case_dossier.code}",
        f"/dossiers/slips?date={to_local(a.case_dossier.returned_at).date().isoformat()}",
        f"/survey-entry?code={a.fresh_dossier.short_code}",
        "/cases",
        "/suggestions",
        "/cases/summary",
        "/survey-entry",
        "/kiosks",
        "/procedures",
        "/calendar",
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code in (200, 404), (url, response.status_code)
        text = _text_of(response)
        for _name, typed in parse_qsl(urlsplit(url).query):  # the search box echoes it
            text = text.replace(f'value="{typed}"', "")
        # So does the language switch, the page's own query with another `lang`: what the
        # user typed, not A's data.
        text = re.sub(r'<span class="lang">.*?</span>', "", text, flags=re.S)
        for secret in secrets_of_a:
            assert secret not in text, (url, secret)
        for dossier in (a.case_dossier, a.fresh_dossier, a.link_dossier):
            assert dossier.token not in text and dossier.short_code not in text, url
        if "export" in url:
            assert "bao-cao-BBB" in response.headers["Content-Disposition"]


def test_clerks_never_reach_cases_nor_read_a_comment(app, world):
    """A clerk must not learn who complained: 403 on every case route, no comment anywhere."""
    client, token = login(app, world.a.clerk)
    for method in ("GET", "POST"):
        for rule, _view in rules(app, method):
            if rule.endpoint.startswith("cases."):
                url = build_url(rule, args_for(world, rule.endpoint))
                data = {"csrf_token": token} if method == "POST" else None
                assert client.open(url, method=method, data=data).status_code == 403, url
    # Every page a clerk can open, the parents' own links included (the clerk prints the
    # slips, so knows every token), aimed at the dossiers that were complained about.
    for rule, view in rules(app, "GET"):
        allowed = getattr(view, "allowed_roles", None)
        if rule.endpoint == "static" or (allowed and "clerk" not in allowed):
            continue
        for dossier in (world.a.case_dossier, world.a.resolved_dossier):
            values = {**args_for(world, rule.endpoint), "code": dossier.code}
            values["token"] = dossier.token
            response = client.get(build_url(rule, values), follow_redirects=True)
            text = response.get_data(as_text=True)
            for secret in (COMMENT, CONTACT_PHONE, SUGGESTION, "Chờ lâu AAA"):
                assert secret not in text, (rule.rule, secret)


def test_office_sees_no_personal_data_in_any_page_or_export(app, world):
    client, _token = login(app, world.office)
    a = world.a
    personal = (
        APPLICANT,
        APPLICANT_PHONE,
        STUDENT,
        COMMENT,
        CONTACT_PHONE,
        SUGGESTION,
        "Nhà trường đã xin lỗi AAA",  # the principal's answer to the parent
        a.case_dossier.code,
        a.case_dossier.token,
    )
    month = to_local(a.case_dossier.returned_at).strftime("%Y-%m")
    year = month[:4]
    urls = []
    for rule, view in rules(app, "GET"):
        allowed = getattr(view, "allowed_roles", None)
        if rule.endpoint == "static" or not allowed or "office" not in allowed:
            continue
        url = build_url(rule, args_for(world, rule.endpoint))
        urls += [url, f"{url}?school=AAA&period={month}"]
    urls += [
        f"/reports/export?period={month}&format={fmt}{school}"
        for fmt in FORMATS
        for school in ("", "&school=AAA")
    ]
    urls += [f"/reports/export?period={year}&format=xlsx{s}" for s in ("", "&school=AAA")]
    reached = 0
    for url in urls:
        response = client.get(url, follow_redirects=True)
        if response.status_code != 200:
            continue
        reached += 1
        text = _text_of(response)
        for secret in personal:
            assert secret not in text, (url, secret)
    assert reached >= 15
