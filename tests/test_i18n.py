"""The English catalog: every UI string translated, placeholders kept, pages render in English.

The msgids are the Vietnamese UI text (default locale `vi`). A string added to the code
without `make translations` and an English msgstr fails `test_every_ui_string_is_translated`:
that is intended.
"""

import os
import re
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_keywords, parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from sqlalchemy import select

from survey_app.cases.models import Case
from survey_app.dossiers.intake import issue_apology, request_supplement
from survey_app.dossiers.models import Procedure
from survey_app.dossiers.workdays import shipped_swaps
from survey_app.extensions import db
from survey_app.kiosk.device import digest, new_secret
from survey_app.kiosk.models import KioskDevice
from survey_app.letterhead import place_name
from survey_app.timeutil import LOCAL_TZ
from tests.conftest import csrf_token_from

ROOT = Path(__file__).resolve().parents[1]
PO = ROOT / "survey_app/translations/en/LC_MESSAGES/messages.po"
MO = PO.with_suffix(".mo")

# %(name)s, %(n)02d, %s, %% ... and str.format fields {0}, {name}
PERCENT = re.compile(r"%(?:\((\w+)\))?[-#0 +]*\d*(?:\.\d+)?([diouxXeEfFgGcrsa%])")
BRACES = re.compile(r"\{[^{}]*\}")
VIETNAMESE = re.compile(
    r"[àáảãạăằắẳẵặâầấẩẫậèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵđ]", re.I
)
# Vietnamese that stays on an English page on purpose: names and the language switch.
KEPT = ("Hài Lòng", "Tiếng Việt", "Tết")
# Known: the national header of the printed papers is not wrapped in _() yet
# (templates/dossiers/_paper.html). Translation when it is: "SOCIALIST REPUBLIC OF VIET NAM"
# / "Independence - Freedom - Happiness".
NOT_WRAPPED_YET = ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc")


def read_catalog():
    with PO.open("rb") as f:
        return read_po(f)


def key(message) -> str:
    return message.id[0] if isinstance(message.id, tuple) else message.id


def strings(message) -> list[str]:
    return list(message.string) if isinstance(message.string, tuple) else [message.string]


def translated(message) -> bool:
    return all(strings(message)) and not message.fuzzy


@pytest.fixture(scope="module", autouse=True)
def compiled_catalog():
    """The app reads the .mo (gitignored, `make install` compiles it): compile a stale one."""
    if not MO.exists() or MO.stat().st_mtime < PO.stat().st_mtime:
        tmp = MO.with_suffix(f".mo.{os.getpid()}")
        with tmp.open("wb") as f:
            write_mo(f, read_catalog())
        os.replace(tmp, MO)


def extracted_msgids() -> set[str]:
    """What `make translations` extracts: babel.cfg and the Makefile's -k keywords."""
    with (ROOT / "babel.cfg").open() as f:
        method_map, options_map = parse_mapping_cfg(f)
    line = next(x for x in (ROOT / "Makefile").read_text().splitlines() if "pybabel extract" in x)
    keywords = dict(DEFAULT_KEYWORDS, **parse_keywords(re.findall(r"-k\s*(\S+)", line)))
    found = extract_from_dir(str(ROOT), method_map, options_map, keywords)
    return {m if isinstance(m, str) else m[0] for _f, _n, m, _c, _ctx in found}


# --- the catalog -----------------------------------------------------------------------


def test_every_ui_string_is_translated():
    ids = extracted_msgids()
    assert len(ids) > 500  # the extraction found the UI (templates and Python)
    assert any(i.startswith("Nhìn chung, Ông/Bà hài lòng thế nào") for i in ids)  # lazy, Python
    assert "Thêm chi tiết (không bắt buộc)" in ids  # template
    done = {key(m) for m in read_catalog() if m.id and translated(m)}
    missing = sorted(ids - done)
    assert not missing, (
        "UI strings without English: run `make translations` and translate them in "
        f"{PO.relative_to(ROOT)}:\n" + "\n".join(missing)
    )


def test_catalog_holds_only_the_labels_the_code_uses():
    """A label the code dropped leaves the catalogue too (`make translations` drops obsolete
    entries), so a search for a label finds its one home, not a stale variant beside it."""
    catalog = read_catalog()
    stale = sorted({key(m) for m in catalog if m.id} - extracted_msgids())
    assert not stale, "run `make translations`; no longer in the code:\n" + "\n".join(stale)
    assert not catalog.obsolete


def test_catalog_has_no_untranslated_or_fuzzy_entries():
    catalog = read_catalog()
    bad = [key(m) for m in catalog if m.id and not translated(m)]
    assert not bad, "untranslated or fuzzy:\n" + "\n".join(bad)
    assert len([m for m in catalog if m.id]) > 500


class _Any(dict):
    def __missing__(self, name):
        return 1


def _formats(text: str) -> bool:
    try:
        text % _Any()
    except (ValueError, TypeError, KeyError):
        return False
    return True


def test_placeholders_and_markup_survive():
    problems = []
    for m in read_catalog():
        if not m.id:
            continue
        for source, target in zip(
            m.id if isinstance(m.id, tuple) else [m.id], strings(m), strict=False
        ):
            is_format = "python-format" in m.flags or _formats(source)
            if is_format and set(PERCENT.findall(source)) != set(PERCENT.findall(target)):
                problems.append(f"%-placeholders: {source!r} -> {target!r}")
            if sorted(BRACES.findall(source)) != sorted(BRACES.findall(target)):
                problems.append(f"{{}}-fields: {source!r} -> {target!r}")
            # Templates always %-format (newstyle gettext): a msgid that formats must still
            # format in English (a stray "%" would raise at render time).
            if _formats(source) and not _formats(target):
                problems.append(f"does not %-format: {target!r}")
            # Lazy strings render unescaped (flask_babel's LazyString has __html__).
            if any(c in target and c not in source for c in "<>&"):
                problems.append(f"markup added: {target!r}")
            if target.endswith(" ") != source.endswith(" "):
                problems.append(f"trailing space differs: {source!r} -> {target!r}")
    assert not problems, "\n".join(problems)


# --- rendered pages ----------------------------------------------------------------------

OVERALL_VI = "Nhìn chung, Ông/Bà hài lòng thế nào với việc giải quyết hồ sơ"
OVERALL_EN = "Overall, how satisfied are you with how the school"


def local_now() -> datetime:
    return datetime.now(LOCAL_TZ).replace(tzinfo=None, microsecond=0)


def test_login_page_follows_lang(app):
    client = app.test_client()
    vi = client.get("/login").get_data(as_text=True)
    assert '<html lang="vi">' in vi and "Đăng nhập" in vi and "Tên đăng nhập" in vi
    en = client.get("/login?lang=en").get_data(as_text=True)
    assert '<html lang="en">' in en
    assert "Log in" in en and "Username" in en and "Password" in en
    assert "Đăng nhập" not in en and "Mật khẩu" not in en
    # ?lang=en is remembered in a cookie; ?lang=vi switches back.
    assert "Log in" in client.get("/login").get_data(as_text=True)
    assert "Đăng nhập" in client.get("/login?lang=vi").get_data(as_text=True)


def test_the_language_switch_keeps_the_page_as_it_is(client, auth):
    """EN/VI on a staff page keeps its query (the school, the period), only `lang` changes."""
    auth.login("principal")
    html = client.get("/reports?period=2020-01&lang=vi").text
    assert 'href="/reports?period=2020-01&amp;lang=en">EN</a>' in html
    assert 'href="/reports?period=2020-01&amp;lang=vi">VI</a>' in html


def test_languages_come_from_the_configuration(app, make):
    """One home for the UI's languages: config LANGUAGES (?lang= outside it is ignored)."""
    app.config["LANGUAGES"] = ("vi",)
    client = app.test_client()
    login = client.get("/login?lang=en")
    assert '<html lang="vi">' in login.get_data(as_text=True)
    assert not any(c.startswith("lang=") for c in login.headers.getlist("Set-Cookie"))
    now = local_now()
    dossier = make.dossier(
        received_at=now - timedelta(days=5), returned_at=now - timedelta(hours=1)
    )
    html = client.get(f"/s/{dossier.token}?lang=en").get_data(as_text=True)
    assert '<html lang="vi">' in html and OVERALL_VI in html and "English" not in html


def test_time_zone_has_one_home(app):
    """The configuration reads timeutil.LOCAL_TZ; it does not repeat the zone's name."""
    assert app.config["TIMEZONE"] == app.config["BABEL_DEFAULT_TIMEZONE"] == LOCAL_TZ.key


def test_survey_page_follows_lang(app, make):
    now = local_now()
    dossier = make.dossier(
        received_at=now - timedelta(days=5), returned_at=now - timedelta(hours=1)
    )
    client = app.test_client()
    vi = client.get(f"/s/{dossier.token}")
    assert vi.status_code == 200
    vi_html = vi.get_data(as_text=True)
    assert OVERALL_VI in vi_html and "Rất hài lòng" in vi_html and OVERALL_EN not in vi_html
    en = client.get(f"/s/{dossier.token}?lang=en")
    assert en.status_code == 200
    en_html = en.get_data(as_text=True)
    assert OVERALL_EN in en_html
    for text in ("Very satisfied", "Satisfied", "Dissatisfied"):
        assert text in en_html
    assert OVERALL_VI not in en_html and "Rất hài lòng" not in en_html
    # Step 2 keeps the language.
    sent = client.post(
        f"/s/{dossier.token}?lang=en",
        data={"overall": "satisfied", "csrf_token": csrf_token_from(en_html)},
    )
    assert sent.status_code == 303 and sent.headers["Location"].endswith("/more?lang=en")
    more = client.get(sent.headers["Location"]).get_data(as_text=True)
    assert '<html lang="en">' in more and "Skip" in more and "Very satisfied" in more


def _vietnamese_left(html: str, data: list[str]) -> list[str]:
    """Text with Vietnamese letters once the page's data and KEPT words are taken out."""
    html = re.sub(r"<(style|script)\b.*?</\1>", "", html, flags=re.S)
    for text in sorted([*data, *KEPT, *NOT_WRAPPED_YET], key=len, reverse=True):
        html = html.replace(text, "").replace(text.upper(), "")
    chunks = re.split(r"<[^>]*>|\n", html)
    chunks += re.findall(r'(?:title|alt|placeholder|aria-label|value)="([^"]*)"', html)
    return sorted({c.strip() for c in chunks if VIETNAMESE.search(c)})


def _late_with_apology(make, now: datetime):
    """A dossier returned 19 days late, with an apology sent in time."""
    dossier = make.dossier(
        received_at=now - timedelta(days=40),
        returned_at=now - timedelta(days=1),
        due_date=(now - timedelta(days=20)).date(),
    )
    issue_apology(
        dossier,
        reason="Chờ xác minh",
        new_due_date=(now - timedelta(days=2)).date(),
        channel="phone",
        issued_at=now - timedelta(days=21),
        backdate_reason="offline",
    )
    return dossier


def test_english_pages_have_no_vietnamese_ui_left(client, make, auth):
    now = local_now()
    school = make.school()
    returned = make.dossier(
        received_at=now - timedelta(days=9), returned_at=now - timedelta(hours=2)
    )
    open_one = make.dossier(received_at=now - timedelta(days=1))
    late = make.dossier(
        received_at=now - timedelta(days=40),
        returned_at=now - timedelta(days=1),
        due_date=(now - timedelta(days=20)).date(),
    )
    apologised = _late_with_apology(make, now)
    db.session.commit()
    # A parent answers in English, dissatisfied: a follow-up case opens.
    form = client.get(f"/s/{returned.token}?lang=en")
    survey = form.get_data(as_text=True)
    sent = client.post(
        f"/s/{returned.token}?lang=en",
        data={"csrf_token": csrf_token_from(survey), "overall": "dissatisfied"},
    )
    assert sent.status_code == 303
    more = client.get(sent.headers["Location"])
    sent = client.post(
        sent.headers["Location"],
        data={
            "csrf_token": csrf_token_from(more.get_data(as_text=True)),
            "reasons": ["long_wait"],
            "comment": "Phải chờ lâu",
        },
    )
    assert sent.status_code == 303
    thanks = client.get(sent.headers["Location"])
    parent_pages = {
        "survey": form,
        "more": more,
        "thanks": thanks,
        "answered": client.get(f"/s/{returned.token}"),
    }
    parent_pages["status"] = client.get(f"/s/{open_one.token}")
    parent_pages["enter code"] = client.get("/s")
    parent_pages["gone"] = client.get("/s/no-such-token")
    case = db.session.scalars(select(Case)).one()

    principal = auth.login("principal")
    case_page = client.get(f"/cases/{case.id}?lang=en").get_data(as_text=True)
    resolved = client.post(
        f"/cases/{case.id}/resolve",
        data={
            "csrf_token": csrf_token_from(case_page),
            "resolution": "Đã xin lỗi phụ huynh",
            "root_cause": "delay",
        },
    )
    assert resolved.status_code in (302, 303)
    # The parent's page once the school has answered: the follow-up loop.
    parent_pages["loop"] = client.get(f"/s/{returned.token}")
    assert "answer to your feedback" in parent_pages["loop"].get_data(as_text=True)
    data = [
        school.name,
        school.address,
        place_name(school.address),  # the place in the papers' date line
        principal.full_name,
        returned.procedure.name,
        returned.student_name,
        returned.applicant_name,
        "Phải chờ lâu",
        "Chờ xác minh",
        "Đã xin lỗi phụ huynh",
        *db.session.scalars(select(Procedure.name)),
        # The government's notices on the calendar page are quoted as issued.
        *(text for swap in shipped_swaps().values() for text in (swap.description, swap.source)),
    ]
    staff = [
        "/dossiers",
        f"/dossiers/{returned.code}",
        f"/dossiers/{late.code}",
        f"/dossiers/{late.code}/apology/new",
        f"/dossiers/{apologised.code}",
        f"/dossiers/{open_one.code}/return",
        f"/dossiers/{open_one.code}/withdraw",
        "/dossiers/new",
        "/dossiers/import",
        "/procedures",
        "/procedures/new",
        "/calendar",
        "/cases",
        f"/cases/{case.id}",
        "/suggestions",
        "/dashboard",
        "/reports",
        "/settings/targets",
        "/survey-entry",
        "/kiosks",
    ]
    # The procedure by its English name where the school gave one; the Vietnamese one on
    # Vietnamese pages (and on the papers, always).
    english_name = returned.procedure.name_en
    assert english_name and english_name in form.text and returned.procedure.name not in form.text
    for url in (f"/dossiers/{returned.code}", "/dossiers"):
        assert english_name in client.get(url).text, url
    assert returned.procedure.name in client.get(f"/dossiers/{returned.code}?lang=vi").text
    client.get("/dossiers?lang=en")  # back to English for the pages below
    left = {}
    for name, page in parent_pages.items():
        assert page.status_code < 500
        found = _vietnamese_left(page.get_data(as_text=True), data)
        if found:
            left[name] = found
    for url in staff:
        page = client.get(url)
        assert page.status_code == 200, url
        html = page.get_data(as_text=True)
        assert '<html lang="en">' in html, url
        found = _vietnamese_left(html, data)
        if found:
            left[url] = found
    # The kiosk tablet: its device cookie, no staff session.
    secret = new_secret()
    device = KioskDevice(
        school=school, name="Quầy 1", created_by=principal, secret_hash=digest(secret)
    )
    db.session.add(device)
    db.session.commit()
    tablet = client.application.test_client()
    tablet.set_cookie("hl_kiosk", f"{device.id}.{secret}")
    for url in ("/kiosk?lang=en", f"/kiosk/{late.short_code}"):
        page = tablet.get(url)
        assert page.status_code == 200, url
        html = page.get_data(as_text=True)
        assert '<html lang="en">' in html, url
        found = _vietnamese_left(html, data)
        if found:
            left[url] = found
    assert not left, left


def test_printed_papers_are_vietnamese_whatever_the_ui_language(client, make, auth):
    """A staff member reading the app in English still prints the school's papers in
    Vietnamese, the official language of a school (Law on Education 2019, Art. 11(1))."""
    now = local_now()
    returned = _late_with_apology(make, now)
    notice = request_supplement(make.dossier(received_at=now - timedelta(hours=3)), papers="Ảnh")
    db.session.commit()
    auth.login("principal")
    client.set_cookie("lang", "en")
    assert '<html lang="en">' in client.get("/dossiers").text  # the UI follows the cookie
    papers = {
        f"/dossiers/{returned.code}/receipt": "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ",
        f"/dossiers/{returned.code}/slip": "Ông/Bà",
        f"/dossiers/{returned.code}/questionnaire": "Nhìn chung, Ông/Bà hài lòng",
        f"/dossiers/slips?date={(now - timedelta(days=1)).date().isoformat()}": "Ông/Bà",
        f"/dossiers/{returned.code}/apology": "PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ",
        f"/dossiers/{returned.code}/control-sheet": "PHIẾU KIỂM SOÁT",
        f"/dossiers/book?month={now:%Y-%m}": "SỔ THEO DÕI HỒ SƠ",
        f"/dossiers/{notice.dossier.code}/notices/{notice.id}": "PHIẾU YÊU CẦU BỔ SUNG",
    }
    for url, title in papers.items():
        for query in ("", "&lang=en" if "?" in url else "?lang=en"):
            page = client.get(url + query)
            assert page.status_code == 200, url
            assert '<html lang="vi">' in page.text and title in page.text, url + query
