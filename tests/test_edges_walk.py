"""Property-based walk (issue 16, finding 4): every route, as each staff role, with hostile
query parameters and form fields, answers below 500. Both databases.

Each Hypothesis example is one hostile value put in every query parameter a view reads
(or every field of every form), a few names overridden with other draws; every route is
requested with it. Values: years 1, 1000 and 9999, integers past 64 bits, NUL and control
characters, look-alike digits, huge and empty strings, reversed and malformed ranges, free
text. Out-of-range dates and numbers are explicit examples (as the principal; in forms,
in the date, time and number fields with the others valid). Posts carry the session's
CSRF token, so they reach the forms' validation and the views behind them. The budget is
kept by `max_examples`: about 20 s of CPU for the file (a minute of wall time on a busy
2-core machine).
"""

import re
from datetime import datetime, timedelta
from urllib.parse import urlencode

import pytest
from flask_wtf import FlaskForm
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from wtforms import DateField, DateTimeLocalField, DecimalField, IntegerField
from wtforms.fields.core import UnboundField

from survey_app import create_app
from survey_app.dossiers.models import CalendarDay, DayKind
from survey_app.extensions import db
from tests.conftest import PASSWORD, IsolatedClient, csrf_token_from
from tests.test_cases import open_case

# Every name a view reads from the query string (grep request.args in survey_app/).
QUERY_NAMES = [
    "month",
    "date",
    "procedure",
    "status",
    "state",
    "q",
    "year",
    "period",
    "from",
    "to",
    "school",
    "format",
    "page",
    "layout",
    "f",
    "code",
    "lang",
    "next",
    "via",
]
HOSTILE = [
    "",
    " ",
    "0",
    "-1",
    "1",
    "99999999999999999999999",
    "9223372036854775807",
    "9223372036854775808",
    "-9223372036854775809",
    "1e309",
    "NaN",
    "-inf",
    "0001-01",
    "9999-12",
    "2026-00",
    "2026-13",
    "0001-01-01",
    "1000-01-01",
    "9999-12-31",
    "2026-02-30",
    "2100-12-31",
    "0001-01-01T00:00",
    "9999-12-31T23:59",
    "2026-01-01T25:61",
    "0001-Q1",
    "9999-H1",
    "0001",
    "9999",
    "2020-01-01..0001-01-01",
    "0001-01-01..0001-01-02",
    "2020-01-01..9999-12-31",
    "custom",
    "２０２６-01-01",
    "٣",
    "\x00",
    "a\x00b",
    "\x1b[31m",
    "\r\nX: 1",
    "\u202e",
    "\ud800",
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "../../etc/passwd",
    "//evil.example",
    "x" * 5000,
    "999",
    "on",
]
VALUES = st.one_of(
    st.sampled_from(HOSTILE),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.text(max_size=30),
)

WALK = settings(
    max_examples=6,
    deadline=timedelta(seconds=20),
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def _form_fields() -> tuple[list[str], list[str]]:
    """(every field name of every form, the names of date, time and number fields)."""
    import survey_app.cases.forms  # noqa: F401  every form class is defined on import
    import survey_app.dossiers.forms  # noqa: F401
    import survey_app.reports.forms  # noqa: F401
    import survey_app.survey.forms  # noqa: F401

    names, typed, todo = set(), set(), [FlaskForm]
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        for name in dir(cls):
            field = getattr(cls, name, None)
            if isinstance(field, UnboundField):
                names.add(name)
                if issubclass(field.field_class, TYPED_FIELDS):
                    typed.add(name)
    names.discard("csrf_token")
    names.update(["overall", "reasons", "consent", "phone", "comment"])
    return sorted(names), sorted(typed)


TYPED_FIELDS = (DateField, DateTimeLocalField, IntegerField, DecimalField)
# Valid values for the other fields, so a typed field's value is what a form trips on.
BASELINE = {
    "return_channel": "counter",
    "intake_channel": "counter",
    "channel": "counter",
    "kind": "off",
    "student_name": "Lê Văn An",
    "reason": "Lý do",
    "note": "Ghi chú",
    "name": "Thủ tục thử",
    "code": "THU-TUC-THU",
    "working_days": "3",
    "coverage": "50",
    "satisfaction": "80",
    "on_time": "90",
    "online_l4": "10",
    "apology": "100",
    "report_due_dates": "15/02, 15/05",
    "returned_at": "2025-09-05T10:00",
    "issued_at": "2025-09-05T10:00",
    "new_due_date": "2025-09-20",
    "effective_from": "2025-01-01",
    "day": "2025-09-03",
}


@pytest.fixture
def world(app, make):
    """Rows for the routes' path arguments, and the app the clients walk."""
    school = make.school()
    case = open_case(make, comment="Góp ý")
    dossier = make.dossier(received_at=datetime(2025, 9, 1, 9, 0))
    to_withdraw = make.dossier(received_at=datetime(2025, 9, 1, 9, 0))
    day = CalendarDay(school_id=school.id, day=datetime(2025, 9, 2).date(), kind=DayKind.OFF)
    db.session.add(day)
    db.session.commit()
    users = {role: make.user(role=role, username=f"walk_{role}") for role in ROLES}
    walker = create_app(
        {
            "APP_ENV": "testing",
            "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
            "LOGIN_LIMIT": "10000 per minute",
        }
    )
    walker.test_client_class = IsolatedClient
    samples = {
        "code": dossier.code,
        "token": case.response.dossier.token,
        "case_id": case.id,
        "procedure_id": dossier.procedure_id,
        "day_id": day.id,
        "withdraw_code": to_withdraw.code,
    }
    return walker, users, samples


ROLES = ("principal", "clerk", "office")


def _client(walker, username):
    client = walker.test_client()
    page = client.get("/login")
    token = csrf_token_from(page.get_data(as_text=True)) if "csrf_token" in page.text else ""
    response = client.post(
        "/login", data={"username": username, "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 303
    home = client.get("/", follow_redirects=True).get_data(as_text=True)
    client.csrf = csrf_token_from(home)  # the session's token: posts reach the forms
    return client


def _routes(walker, method: str, samples: dict) -> list[str]:
    urls = []
    with walker.test_request_context():
        for rule in walker.url_map.iter_rules():
            if method not in rule.methods or rule.endpoint in ("static", "auth.logout"):
                continue
            if not set(rule.arguments) <= set(samples):
                continue
            values = dict(samples)
            if rule.endpoint.endswith("withdraw"):  # its own dossier: the others stay open
                values["code"] = samples["withdraw_code"]
            urls.append(
                re.sub(r"<(?:\w+:)?(\w+)>", lambda m, v=values: str(v[m.group(1)]), rule.rule)
            )
    return sorted(set(urls))


# Out-of-range dates and numbers, each tried in every parameter and field of every route
# (as the principal, who reaches the most routes); the other roles get random draws only.
RANGE_VALUES = [
    "99999999999999999999999",
    "9223372036854775808",
    "-9223372036854775809",
    "0001-01",
    "9999-12",
    "0001-01-01",
    "1000-01-01",
    "9999-12-31",
    "0001-01-01T00:00",
    "9999-12-31T23:59",
    "0001-Q1",
    "0001",
    "9999",
    "2020-01-01..9999-12-31",
    "0001-01-01..0001-01-02",
    "1e309",
    "NaN",
    "\x00",
]


def _everywhere(names, value, extra):
    return {**dict.fromkeys(names, value), **extra}


def _walker(names, role, check, typed=None):
    """Hypothesis over `check(dict)`: a value in every name, a few names overridden. With
    `typed` (forms), the explicit examples put the value in the typed fields only, the
    others valid, so no choice field's error hides a date's."""
    strategy = st.builds(
        lambda value, extra: _everywhere(names, value, extra),
        VALUES,
        st.dictionaries(st.sampled_from(names), VALUES, max_size=4),
    )
    walk = check
    if role == "principal":
        for value in RANGE_VALUES:
            if typed:
                walk = example({**BASELINE, **dict.fromkeys(typed, value)})(walk)
            else:
                walk = example(_everywhere(names, value, {}))(walk)
    return WALK(given(strategy)(walk))


@pytest.mark.parametrize("role", ROLES)
def test_hostile_query_parameters_never_500(world, role):
    walker, _users, samples = world
    client = _client(walker, f"walk_{role}")
    urls = _routes(walker, "GET", samples)
    assert len(urls) > 20

    def check(params):
        query = urlencode(params, encoding="utf-8", errors="surrogatepass")
        for url in urls:  # every route gets every drawn query
            response = client.get(f"{url}?{query}")
            assert response.status_code < 500, (url, params, response.status_code)

    _walker(QUERY_NAMES, role, check)()


@pytest.mark.parametrize("role", ROLES)
def test_hostile_form_fields_never_500(world, role):
    walker, _users, samples = world
    client = _client(walker, f"walk_{role}")
    urls = _routes(walker, "POST", samples)
    fields, typed = _form_fields()
    assert len(urls) > 10 and {"returned_at", "day", "working_days"} <= set(typed)

    def check(data):
        body = urlencode(
            {**data, "csrf_token": client.csrf}, encoding="utf-8", errors="surrogatepass"
        )
        for url in urls:  # every form gets every drawn body
            response = client.post(url, data=body, content_type="application/x-www-form-urlencoded")
            assert response.status_code < 500, (url, data, response.status_code)

    _walker(fields, role, check, typed)()
