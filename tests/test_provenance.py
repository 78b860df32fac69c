"""Where a self-service answer came from: desk network, minutes after return, device key;
answers that look assisted per clerk (the principal's only) and in the report's split."""

import csv
import io
import json
import re
from datetime import date, datetime, timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from survey_app.audit import Audit
from survey_app.dated_rules import get_rule, set_rule
from survey_app.extensions import db
from survey_app.reports import exports, periods, queries
from survey_app.survey.models import Response
from survey_app.survey.provenance import (
    device_key,
    forget_devices,
    in_networks,
    network_prefix,
    parse_networks,
)
from survey_app.timeutil import LOCAL_TZ, local_today
from tests.conftest import csrf_token_from

DESK = "203.0.113.0/24"
DESK_PHONE = "203.0.113.57"  # the desk's tablet or a clerk's phone on the desk Wi-Fi
HOME = "198.51.100.77"
TABLET_UA = "Mozilla/5.0 (Linux; Android 12; SM-T220) Chrome/119.0 Safari/537.36"
PHONE_UA = "Mozilla/5.0 (Linux; Android 10; Redmi 9A) Chrome/118.0 Mobile Safari/537.36"


def local_now() -> datetime:
    return datetime.now(LOCAL_TZ).replace(tzinfo=None, microsecond=0)


def answer(client, dossier, address: str, user_agent: str, overall: str = "satisfied"):
    """A parent's answer (step 1: the overall question) from `address` with `user_agent`."""
    env = {"REMOTE_ADDR": address}
    headers = {"User-Agent": user_agent}
    page = client.get(f"/s/{dossier.token}", environ_base=env, headers=headers)
    assert page.status_code == 200, page.status_code
    token = csrf_token_from(page.get_data(as_text=True))
    response = client.post(
        f"/s/{dossier.token}",
        data={"overall": overall, "csrf_token": token},
        environ_base=env,
        headers=headers,
    )
    assert response.status_code == 303, response.get_data(as_text=True)[:300]


@pytest.fixture
def day(app, make):
    """A simulated day: five slips returned minutes ago by one clerk and answered from the
    desk network by one device; one answered at home; one entered on paper."""
    school = make.school()
    clerk = make.user(role="clerk", username="clerk_a", school=school)
    other = make.user(role="clerk", username="clerk_b", school=school)
    set_rule("desk_networks", [DESK], date(2025, 1, 1), school.id)
    db.session.commit()
    now = local_now()
    received = now - timedelta(hours=3)

    def returned(by, minutes_ago):
        return make.dossier(
            school=school,
            received_at=received,
            returned_at=now - timedelta(minutes=minutes_ago),
            returned_by=by,
        )

    gamed = [returned(clerk, 4) for _ in range(5)]
    home = returned(other, 30)
    paper = returned(other, 20)
    return {
        "school": school,
        "clerk": clerk,
        "other": other,
        "gamed": gamed,
        "home": home,
        "paper": paper,
        "period": periods.month_of(received.date()),
    }


@pytest.fixture
def answered(client, make, day):
    for dossier in day["gamed"]:
        answer(client, dossier, DESK_PHONE, TABLET_UA)
    answer(client, day["home"], HOME, PHONE_UA)
    make.response(day["paper"], channel="paper", entered_by=day["clerk"])
    db.session.expire_all()
    return day


def rows_of(dossiers) -> list[Response]:
    ids = [d.id for d in dossiers]
    return list(db.session.scalars(select(Response).where(Response.dossier_id.in_(ids))))


def test_each_self_service_answer_records_where_it_came_from(app, answered):
    gamed = rows_of(answered["gamed"])
    assert len(gamed) == 5
    today = local_today()
    expected_key = device_key(TABLET_UA, DESK_PHONE, today, app.config["SECRET_KEY"])
    for row in gamed:
        assert row.from_desk_network is True
        assert 3 <= row.minutes_after_return <= 5
        assert row.device_key == expected_key and len(row.device_key) == 32
        assert row.device_day_answers is None
    (home,) = rows_of([answered["home"]])
    assert home.from_desk_network is False
    assert 29 <= home.minutes_after_return <= 31
    assert home.device_key not in (None, expected_key)
    (paper,) = rows_of([answered["paper"]])
    assert (paper.from_desk_network, paper.minutes_after_return, paper.device_key) == (
        None,
        None,
        None,
    )


def test_step_two_tells_the_parent_what_is_kept_why_and_how_long(client, day):
    dossier = day["home"]
    answer(client, dossier, HOME, PHONE_UA)
    for lang, words in (
        ("vi", ("không lưu địa chỉ IP", "mã thiết bị", "đổi mỗi ngày", "30 ngày", "91/2025/QH15")),
        ("en", ("does not store IP", "device code", "every day", "30 days", "91/2025/QH15")),
    ):
        page = client.get(f"/s/{dossier.token}/more", query_string={"lang": lang})
        assert page.status_code == 200
        html = page.get_data(as_text=True)
        assert all(w in html for w in words), (lang, [w for w in words if w not in html])


def test_no_raw_address_is_stored_anywhere(app, answered):
    """Neither the address nor its network prefix, in the response rows, the audit rows or
    any other table."""
    needles = (DESK_PHONE, HOME, "203.0.113.", "198.51.100.")
    audits = db.session.scalars(select(Audit).where(Audit.action == "survey_answered")).all()
    assert len(audits) == 6
    for row in audits:
        assert not any(n in (row.detail or "") for n in needles), row.detail
    for table in db.metadata.sorted_tables:
        for row in db.session.execute(select(table)).all():
            dump = json.dumps([str(v) for v in row], ensure_ascii=False)
            if table.name == "rule":  # the school's own desk network, configured by design
                continue
            assert not any(n in dump for n in needles), (table.name, dump[:200])


def test_the_simulated_day_in_the_figures(answered):
    split = queries.provenance(answered["school"].id, answered["period"])[None]
    assert (split.surveyed, split.self_service, split.assisted) == (7, 6, 1)
    assert (split.looks_assisted, split.desk_soon, split.same_device) == (5, 5, 5)
    by_clerk = queries.provenance(answered["school"].id, answered["period"], "clerk")
    assert by_clerk[answered["clerk"].id].looks_assisted == 5
    assert by_clerk[answered["other"].id].looks_assisted == 0
    assert by_clerk[answered["other"].id].self_service == 1
    month = answered["period"].key
    by_month = queries.provenance(answered["school"].id, answered["period"], "clerk_month")
    assert by_month[month, answered["clerk"].id].looks_assisted == 5


def test_the_principal_sees_it_per_clerk_on_the_report_page(client, auth, answered):
    auth.login("principal", school=answered["school"])
    page = client.get("/reports", query_string={"period": answered["period"].key})
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Nguồn phiếu trả lời" in html
    assert "Phiếu tự đánh giá có dấu hiệu được hỗ trợ, theo cán bộ trả kết quả" in html
    assert '<section class="card provenance" id="provenance">' in html  # the dashboard's link
    section = html.split('class="card by_clerk_provenance"', 1)[1].split("</section>", 1)[0]
    row = next(r for r in section.split("<tr>") if answered["clerk"].full_name in r)
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row)
    assert cells[2:5] == ["5", "5", "100,0%"]  # self-service, looking assisted, share


def test_the_dashboard_shows_this_months_looking_assisted(client, auth, answered):
    if answered["period"] != periods.month_of(local_today()):
        pytest.skip("received yesterday, in last month: the tile shows this month only")
    auth.login("principal", school=answered["school"])
    html = client.get("/dashboard").get_data(as_text=True)
    tile = html.split('class="card tile provenance alert"', 1)[1].split("</section>", 1)[0]
    assert '<p class="big bad">5</p>' in tile
    assert "83,3%" in tile and "5/6" in tile  # the share, with its count and interval
    assert "Tự đánh giá: 6 · có hỗ trợ (phiếu giấy, ki-ốt): 1" in tile
    assert answered["clerk"].full_name not in html
    link = re.search(r'href="(/reports[^"]*#provenance)"', tile)  # to the table, not the top
    assert link and 'id="provenance"' in client.get(link[1].split("#")[0]).text


def test_the_monthly_report_split_in_csv_and_xlsx(client, auth, answered):
    auth.login("principal", school=answered["school"])
    key = answered["period"].key
    data = client.get("/reports/export", query_string={"period": key, "format": "csv"}).data
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    by_label = {r[0]: r for r in rows if r}
    assert by_label["Phụ huynh tự đánh giá (mã QR, mã số)"][1:4] == ["85,7%", "6", "7"]
    assert by_label["Có hỗ trợ (phiếu giấy, ki-ốt)"][1:4] == ["14,3%", "1", "7"]
    assert by_label["Tự đánh giá nhưng có dấu hiệu được hỗ trợ"][1:4] == ["83,3%", "5", "6"]
    clerk_row = next(r for r in rows if len(r) > 3 and r[1] == answered["clerk"].full_name)
    assert clerk_row[2:4] == ["5", "5"]

    data = client.get("/reports/export", query_string={"period": key, "format": "xlsx"}).data
    wb = load_workbook(io.BytesIO(data))
    sheet = [list(r) for r in wb["Nguồn phiếu trả lời"].iter_rows(values_only=True)]
    looks = next(r for r in sheet if r[0] == "Tự đánh giá nhưng có dấu hiệu được hỗ trợ")
    assert looks[1:4] == [pytest.approx(5 / 6), 5, 6]
    low, high = looks[4:6]
    assert 0.3 < low < 5 / 6 < high < 1  # the Wilson interval around 5/6
    clerks = [list(r) for r in wb["Hỗ trợ theo cán bộ"].iter_rows(values_only=True)]
    assert any(r[1] == answered["clerk"].full_name and r[2:4] == [5, 5] for r in clerks)


def test_office_sees_the_split_but_no_clerk(client, auth, answered):
    auth.login("office")
    key = answered["period"].key
    query = {"period": key, "format": "csv", "school": answered["school"].code}
    data = client.get("/reports/export", query_string=query).data.decode("utf-8-sig")
    assert "Tự đánh giá nhưng có dấu hiệu được hỗ trợ" in data
    assert "theo cán bộ trả kết quả" not in data
    assert answered["clerk"].full_name not in data
    page = client.get("/reports", query_string={"period": key, "school": "TEST"})
    assert "by_clerk_provenance" not in page.get_data(as_text=True)


def test_the_signed_pdf_has_the_split_and_no_clerk(app, answered):
    from tests.test_exports import pdf_text

    with app.test_request_context():
        data, _name, _media = exports.export(answered["school"], answered["period"], True, "pdf")
    text = pdf_text(data)
    assert "Nguồn phiếu trả lời" in text
    assert "83,3% 5 6" in text
    assert answered["clerk"].full_name not in text


def test_a_clerk_cannot_see_the_per_clerk_view(client, auth, answered):
    auth.login("clerk", username="clerk_a")
    key = answered["period"].key
    assert client.get("/reports", query_string={"period": key}).status_code == 403
    for fmt in ("csv", "xlsx"):
        query = {"period": key, "format": fmt}
        assert client.get("/reports/export", query_string=query).status_code == 403


def test_an_empty_denominator_is_a_dash(client, auth, make):
    school = make.school()
    auth.login("principal", school=school)
    data = client.get("/reports/export", query_string={"period": "2020-01", "format": "csv"}).data
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    looks = next(r for r in rows if r and r[0] == "Tự đánh giá nhưng có dấu hiệu được hỗ trợ")
    assert looks[1:] == ["—", "0", "0", "—", "—"]


def test_the_desk_rule_is_dated(app, client, make):
    """An answer from the desk network counts as such only from the rule's first day."""
    school = make.school()
    set_rule("desk_networks", [DESK], local_today() + timedelta(days=1), school.id)
    db.session.commit()
    now = local_now()
    dossier = make.dossier(
        school=school, received_at=now - timedelta(hours=2), returned_at=now - timedelta(minutes=2)
    )
    answer(client, dossier, DESK_PHONE, TABLET_UA)
    db.session.expire_all()
    assert rows_of([dossier])[0].from_desk_network is False


def test_device_key_rotates_daily_and_follows_the_network_prefix():
    secret = "x" * 40
    day1, day2 = date(2026, 3, 2), date(2026, 3, 3)
    key = device_key(TABLET_UA, "2001:db8:1:2::10", day1, secret)
    assert key == device_key(TABLET_UA, "2001:db8:1:2:aaaa::99", day1, secret)  # same /64
    assert key != device_key(TABLET_UA, "2001:db8:1:3::10", day1, secret)  # another /64
    assert key != device_key(TABLET_UA, "2001:db8:1:2::10", day2, secret)  # next day
    assert key != device_key(PHONE_UA, "2001:db8:1:2::10", day1, secret)  # another browser
    assert key != device_key(TABLET_UA, "2001:db8:1:2::10", day1, "y" * 40)  # another secret
    v4 = device_key(TABLET_UA, "203.0.113.5", day1, secret)
    assert v4 == device_key(TABLET_UA, "203.0.113.250", day1, secret)  # same /24
    assert v4 == device_key(TABLET_UA, "::ffff:203.0.113.9", day1, secret)  # mapped IPv4
    assert v4 != device_key(TABLET_UA, "203.0.114.5", day1, secret)
    assert network_prefix("2001:db8:1:2::10") == "2001:db8:1:2::/64"
    assert network_prefix("203.0.113.5") == "203.0.113.0/24"
    assert network_prefix("not an address") == ""


def test_desk_networks_match_and_parse():
    assert in_networks("203.0.113.57", [DESK])
    assert in_networks("::ffff:203.0.113.57", [DESK])
    assert not in_networks("203.0.114.57", [DESK])
    assert in_networks("2001:db8::5", ["bad", "2001:db8::/64"])  # a bad entry is skipped
    assert not in_networks(None, [DESK])
    assert parse_networks("203.0.113.7/24, 2001:db8::/64\n") == ["2001:db8::/64", DESK]
    assert parse_networks("203.0.113.0/24, nonsense") is None


def _responses_with_keys(make, school, submitted: datetime, key: str, n: int):
    """`n` self-service answers at the local time `submitted` sharing a device key."""
    out = []
    for _ in range(n):
        dossier = make.dossier(
            school=school,
            received_at=submitted - timedelta(days=3),
            returned_at=submitted - timedelta(hours=1),
        )
        out.append(
            make.response(dossier, submitted_at=submitted, device_key=key, from_desk_network=False)
        )
    return out


def test_forget_devices_nulls_old_keys_and_keeps_the_counts(app, make, runner):
    school = make.school()
    today = local_today()
    old_day = datetime.combine(today - timedelta(days=31), datetime.min.time()).replace(hour=10)
    recent_day = datetime.combine(today - timedelta(days=29), datetime.min.time()).replace(hour=10)
    old = _responses_with_keys(make, school, old_day, "a" * 32, 3)
    lone = _responses_with_keys(make, school, old_day, "b" * 32, 1)
    recent = _responses_with_keys(make, school, recent_day, "c" * 32, 3)
    period = periods.custom(today - timedelta(days=40), today)
    before = queries.provenance(school.id, period)[None]
    assert (before.self_service, before.same_device, before.looks_assisted) == (7, 6, 6)

    result = runner.invoke(args=["data", "forget-devices"])
    assert result.exit_code == 0, result.output
    assert "Nulled 4 device keys" in result.output
    db.session.expire_all()
    for row in old:
        assert (row.device_key, row.device_day_answers) == (None, 3)
    assert (lone[0].device_key, lone[0].device_day_answers) == (None, 1)
    for row in recent:
        assert (row.device_key, row.device_day_answers) == ("c" * 32, None)
    after = queries.provenance(school.id, period)[None]
    assert after == before  # the figures stay when the keys go
    audit = db.session.scalars(select(Audit).where(Audit.action == "forget_device_keys")).one()
    assert json.loads(audit.detail)["keys"] == 4
    # Nothing left to do: a second run nulls nothing and changes no count.
    assert "Nulled 0 device keys" in runner.invoke(args=["data", "forget-devices"]).output
    db.session.expire_all()
    assert old[0].device_day_answers == 3


def test_forget_devices_cuts_at_a_local_midnight(app, make):
    """A day's answers go together: the cut-off never splits one device's day."""
    school = make.school()
    today = local_today()
    edge = datetime.combine(today - timedelta(days=30), datetime.min.time())
    rows = _responses_with_keys(make, school, edge - timedelta(minutes=1), "d" * 32, 2)
    rows += _responses_with_keys(make, school, edge + timedelta(minutes=1), "e" * 32, 2)
    assert forget_devices(today) == 2
    db.session.commit()
    db.session.expire_all()
    assert [r.device_key for r in rows] == [None, None, "e" * 32, "e" * 32]


# --- the principal sets the desk networks and thresholds on the settings page ----------

DESK_RULES = ["desk_networks", "assisted_minutes", "assisted_device_answers"]


def _settings_post(client, **data):
    """Only the desk rules are posted (`shown`): the page leaves the others unchanged."""
    page = client.get("/settings")
    assert page.status_code == 200
    data.setdefault("csrf_token", csrf_token_from(page.get_data(as_text=True)))
    return client.post("/settings", data={"shown": DESK_RULES, **data})


def test_the_principal_sets_the_desk_networks_from_a_day_on(client, auth, make):
    principal = auth.login("principal")
    school_id = principal.school_id
    tomorrow = local_today() + timedelta(days=1)
    response = _settings_post(
        client,
        desk_networks="203.0.113.7/24\r\n2001:db8:1:2::/64",
        assisted_minutes="10",
        assisted_device_answers="4",
        effective_from=tomorrow.isoformat(),
    )
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    db.session.expire_all()
    assert get_rule("desk_networks", school_id, tomorrow) == ["2001:db8:1:2::/64", DESK]
    assert get_rule("desk_networks", school_id, local_today()) == []  # dated: not yet
    assert get_rule("assisted_minutes", school_id, tomorrow) == 10
    assert get_rule("assisted_device_answers", school_id, tomorrow) == 4
    keys = db.session.scalars(select(Audit.detail).where(Audit.action == "set_rule")).all()
    assert len(keys) == 3
    page = client.get("/settings").get_data(as_text=True)
    assert "2001:db8:1:2::/64, 203.0.113.0/24" in page  # the history
    report = client.get("/reports").get_data(as_text=True)
    assert 'href="/settings"' in report or 'href="/settings/targets"' in report


@pytest.mark.parametrize(
    "networks", ["203.0.113.0/33", "not a network", "203.0.113.0/24\x00", "1.2.3.4/24; x"]
)
def test_a_bad_network_is_a_400_and_stores_nothing(client, auth, networks):
    auth.login("principal")
    response = _settings_post(
        client,
        desk_networks=networks,
        assisted_minutes="15",
        assisted_device_answers="3",
        effective_from=local_today().isoformat(),
    )
    assert response.status_code == 400
    assert "Dải địa chỉ không hợp lệ" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.scalars(select(Audit).where(Audit.action == "set_rule")).first() is None


def test_a_clerk_cannot_set_the_desk_networks(client, auth, make):
    auth.login("clerk")
    assert client.get("/settings").status_code == 403
