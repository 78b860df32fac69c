"""The attack suite's world: two schools, every role, a case, a suggestion, mail, and helpers.

Everything the attacks need is made through the real routes where it matters (the parent's
answer, so routing writes the case and the mail) and by the factories elsewhere.
"""

import io
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select

from survey_app.audit import Audit
from survey_app.auth.models import User
from survey_app.cases.models import Case, CaseStatus, RootCause
from survey_app.dossiers.intake import request_supplement
from survey_app.dossiers.models import Apology, CalendarDay, DayKind, Dossier, Notice, Procedure
from survey_app.extensions import db
from survey_app.kiosk.device import digest, new_secret
from survey_app.kiosk.models import KioskDevice
from survey_app.schools import School
from survey_app.survey.models import Response
from survey_app.timeutil import LOCAL_TZ, utcnow
from tests.conftest import PASSWORD, csrf_token_from

# Personal data of school A's complaint: the office and clerks must never see the comment or
# the call-back phone; the office must not see the names either.
APPLICANT = "Phạm Thị Mẫu Riêng"
APPLICANT_PHONE = "0912345678"
STUDENT = "Lê Văn Học Trò"
COMMENT = "Góp ý bí mật về cô văn thư Hoa"
CONTACT_PHONE = "0987654321"
SUGGESTION = "Đề nghị thêm ghế chờ ở phòng một cửa"


def local_now() -> datetime:
    return datetime.now(LOCAL_TZ).replace(tzinfo=None, microsecond=0)


@dataclass
class Side:
    """One school and its people and rows."""

    school: School
    principal: User
    clerk: User
    procedure: Procedure
    case_dossier: Dossier  # answered "dissatisfied": an open case
    resolved_dossier: Dossier  # answered, its case resolved: the parent's loop form is live
    fresh_dossier: Dossier  # returned, not answered: paper entry's form is live
    kiosk_dossier: Dossier  # returned, not answered: for the kiosk
    link_dossier: Dossier  # returned, not answered: for the parent's own link
    more_dossier: Dossier  # step 1 answered "dissatisfied" on the link: step 2 is live
    open_dossier: Dossier  # received, not returned: return/withdraw forms are live
    late_dossier: Dossier  # returned late with an apology letter
    late_bare: Dossier  # returned late, no apology yet: the apology form is live
    paper_dossier: Dossier  # received: the supplement request and refusal forms are live
    notice_dossier: Dossier  # received, awaiting papers: its request prints, completes
    notice: Notice  # notice_dossier's open supplement request
    case: Case
    resolved_case: Case
    day: CalendarDay
    kiosk: KioskDevice  # the school's enrolled tablet
    kiosk_cookie: str  # its device credential (the cookie's value)


@dataclass
class World:
    a: Side
    b: Side
    office: User
    clerk2_a: User  # a second clerk at A (paper entry by someone else than the handler)


def _answer(client, dossier, overall: str, **more) -> None:
    """The parent's two steps: `overall`, then step 2 with `more` when given."""
    for url, data in ((f"/s/{dossier.token}", {"overall": overall}), (None, more)):
        if url is None:
            if not more:
                return
            url = f"/s/{dossier.token}/more"
        page = client.get(url)
        assert page.status_code == 200, page.status_code
        data = {"csrf_token": csrf_token_from(page.get_data(as_text=True)), **data}
        response = client.post(url, data=data)
        assert response.status_code == 303, response.get_data(as_text=True)[:300]


def _side(app, make, code: str, prefix: str) -> Side:
    school = make.school(code, f"Trường THCS {code}")
    principal = make.user("principal", username=f"{prefix}principal", school=school)
    clerk = make.user("clerk", username=f"{prefix}clerk", school=school)
    procedure = make.procedure(school)
    now = local_now()
    returned = {"received_at": now - timedelta(days=5), "returned_at": now - timedelta(hours=2)}
    personal = {
        "applicant_name": APPLICANT if code == "AAA" else f"Người nộp {code}",
        "applicant_phone": APPLICANT_PHONE if code == "AAA" else "0900000000",
        "student_name": STUDENT if code == "AAA" else f"Học sinh {code}",
    }
    case_dossier = make.dossier(school=school, received_by_id=clerk.id, **returned, **personal)
    resolved_dossier = make.dossier(school=school, **returned)
    fresh_dossier = make.dossier(school=school, received_by_id=clerk.id, **returned)
    kiosk_dossier = make.dossier(school=school, **returned)
    link_dossier = make.dossier(school=school, **returned)
    more_dossier = make.dossier(school=school, **returned)
    open_dossier = make.dossier(school=school, received_at=now - timedelta(days=1))
    late_dossier = make.dossier(
        school=school,
        received_at=now - timedelta(days=40),
        returned_at=now - timedelta(days=3),
    )
    late_bare = make.dossier(
        school=school,
        received_at=now - timedelta(days=40),
        returned_at=now - timedelta(days=2),
    )
    db.session.add(
        Apology(
            dossier=late_dossier,
            reason=f"Lý do trễ hạn {code}",
            new_due_date=late_dossier.due_date + timedelta(days=3),
            channel="counter",
            issued_at=utcnow() - timedelta(days=20),
        )
    )
    day = CalendarDay(school_id=school.id, day=date(2031, 1, 6), kind=DayKind.OFF, note="Nghỉ")
    db.session.add(day)
    paper_dossier = make.dossier(school=school, received_at=now - timedelta(days=1))
    notice_dossier = make.dossier(school=school, received_at=now - timedelta(days=1))
    notice = request_supplement(notice_dossier, papers=f"Bản sao học bạ {code}")
    secret = new_secret()
    kiosk = KioskDevice(
        school=school,
        name=f"Quầy {code}",
        created_by=principal,
        secret_hash=digest(secret),
        enrolled_at=utcnow(),
        last_used_at=utcnow(),  # used just now: the attacks' page views write nothing
    )
    db.session.add(kiosk)
    db.session.commit()

    client = app.test_client()
    comment = COMMENT if code == "AAA" else f"Góp ý của trường {code}"
    phone = CONTACT_PHONE if code == "AAA" else "0911111111"
    _answer(client, case_dossier, overall="dissatisfied", comment=comment, phone=phone, consent="y")
    _answer(client, resolved_dossier, overall="dissatisfied", comment=f"Chờ lâu {code}")
    _answer(client, more_dossier, overall="dissatisfied")
    suggestion = make.dossier(school=school, **returned)
    _answer(client, suggestion, overall="satisfied", comment=SUGGESTION + f" {code}")

    def case_of(dossier):
        return db.session.scalars(
            select(Case).join(Case.response).where(Response.dossier_id == dossier.id)
        ).one()

    resolved_case = case_of(resolved_dossier)
    resolved_case.status = CaseStatus.RESOLVED
    resolved_case.resolution = f"Nhà trường đã xin lỗi {code}"
    resolved_case.root_cause = RootCause.OTHER
    resolved_case.resolved_at = utcnow()
    db.session.commit()
    return Side(
        school=school,
        principal=principal,
        clerk=clerk,
        procedure=procedure,
        case_dossier=case_dossier,
        resolved_dossier=resolved_dossier,
        fresh_dossier=fresh_dossier,
        kiosk_dossier=kiosk_dossier,
        link_dossier=link_dossier,
        more_dossier=more_dossier,
        open_dossier=open_dossier,
        late_dossier=late_dossier,
        late_bare=late_bare,
        paper_dossier=paper_dossier,
        notice_dossier=notice_dossier,
        notice=notice,
        case=case_of(case_dossier),
        resolved_case=resolved_case,
        day=day,
        kiosk=kiosk,
        kiosk_cookie=f"{kiosk.id}.{secret}",
    )


@pytest.fixture
def world(app, make) -> World:
    a = _side(app, make, "AAA", "a_")
    b = _side(app, make, "BBB", "b_")
    office = make.user("office", username="office")
    clerk2 = make.user("clerk", username="a_clerk2", school=a.school)
    return World(a=a, b=b, office=office, clerk2_a=clerk2)


def login(app, user: User, **client_kw):
    """A fresh client logged in as `user`, and a session CSRF token for its posts."""
    client = app.test_client(**client_kw)
    token = csrf_token_from(client.get("/login").get_data(as_text=True))
    response = client.post(
        "/login", data={"username": user.username, "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 303, response.status_code
    home = client.get("/", follow_redirects=True).get_data(as_text=True)
    return client, csrf_token_from(home)


def tablet(app, side: "Side"):
    """A fresh browser holding `side`'s kiosk credential (no staff session), and a session
    CSRF token for its posts."""
    client = app.test_client()
    client.set_cookie(app.config["KIOSK_COOKIE_NAME"], side.kiosk_cookie)
    return client, csrf_token_from(client.get("/kiosk").get_data(as_text=True))


def snapshot(exclude: tuple[str, ...] = ("audit",)) -> dict[str, list]:
    """Every row of every table (except `exclude`), as comparable tuples."""
    db.session.commit()
    db.session.expire_all()
    out = {}
    for table in db.metadata.sorted_tables:
        if table.name in exclude:
            continue
        rows = db.session.execute(select(table)).all()
        out[table.name] = sorted(tuple(repr(v) for v in row) for row in rows)
    return out


def audit_actions_since(first_id: int) -> list[str]:
    db.session.commit()
    return list(db.session.scalars(select(Audit.action).where(Audit.id > first_id)))


def last_audit_id() -> int:
    db.session.commit()
    return db.session.scalar(select(db.func.max(Audit.id))) or 0


def url_args(world: World, side: Side | None = None) -> dict[str, str]:
    """Values for every route argument, pointing at `side`'s rows (school A by default)."""
    side = side or world.a
    return {
        "code": side.case_dossier.code,
        "case_id": str(side.case.id),
        "procedure_id": str(side.procedure.id),
        "day_id": str(side.day.id),
        "notice_id": str(side.notice.id),
        "token": side.case_dossier.token,
        "short_code": side.case_dossier.short_code,
        "device_id": str(side.kiosk.id),
        "name": "trend",
        "filename": "app.css",
        "user_id": str(world.clerk2_a.id),  # a clerk of A: the principal of A manages them
    }


def build_url(rule, values: dict[str, str]) -> str:
    return rule.build({arg: values[arg] for arg in rule.arguments})[1]


def rules(app, method: str):
    for rule in app.url_map.iter_rules():
        if method in rule.methods:
            yield rule, app.view_functions[rule.endpoint]


# Which of a side's dossiers each route acts on (its form is live for that dossier).
DOSSIER_FOR = {
    "dossiers.return_result": "open_dossier",
    "dossiers.withdraw": "open_dossier",
    "dossiers.record_apology": "late_bare",
    "dossiers.apology_letter": "late_dossier",
    "dossiers.ready": "open_dossier",
    "dossiers.request_supplement_view": "paper_dossier",
    "dossiers.refuse_view": "paper_dossier",
    "dossiers.notice": "notice_dossier",
    "dossiers.complete_supplement_view": "notice_dossier",
    "survey.paper_entry": "fresh_dossier",
    "kiosk.survey": "kiosk_dossier",
}
TOKEN_FOR = {
    "survey.survey": "link_dossier",
    "survey.more": "more_dossier",
    "survey.loop": "resolved_dossier",
}


def args_for(world: World, endpoint: str, side: Side | None = None) -> dict[str, str]:
    """Route arguments for `endpoint`, pointing at rows of `side` (school A by default)."""
    side = side or world.a
    values = url_args(world, side)
    values["code"] = getattr(side, DOSSIER_FOR.get(endpoint, "case_dossier")).code
    values["short_code"] = getattr(side, DOSSIER_FOR.get(endpoint, "case_dossier")).short_code
    values["token"] = getattr(side, TOKEN_FOR.get(endpoint, "case_dossier")).token
    return values


def url_for_endpoint(app, world: World, endpoint: str, side: Side | None = None) -> str:
    rule = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint)
    return build_url(rule, args_for(world, endpoint, side))


def valid_payloads(world: World, side: Side | None = None) -> dict[str, dict[str, str]]:
    """A payload each POST route accepts (303) for `side`'s rows, CSRF token not included.

    Free-text fields are listed in TEXT_FIELDS; the attack tests poison them one by one.
    """
    side = side or world.a
    now = local_now()
    today = now.date()
    last_month = (today.replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
    return {
        "auth.login": {"username": side.principal.username, "password": PASSWORD},
        "auth.logout": {},
        "dossiers.new": {
            "procedure": str(side.procedure.id),
            "student_name": "Nguyễn Văn An",
            "student_class": "6A1",
            "applicant_name": "Nguyễn Văn Bố",
            "applicant_phone": "0901234567",
            "intake_channel": "counter",
            "return_channel": "counter",
        },
        "dossiers.return_result": {
            "returned_at": now.strftime("%Y-%m-%dT%H:%M"),
            "return_channel": "counter",
        },
        "dossiers.withdraw": {"reason": "Phụ huynh xin rút hồ sơ"},
        "dossiers.ready": {},
        "dossiers.request_supplement_view": {"papers": "Bản sao giấy khai sinh"},
        "dossiers.refuse_view": {"reason": "Không thuộc thẩm quyền của nhà trường"},
        "dossiers.complete_supplement_view": {},
        "dossiers.import_csv": {"file": (io.BytesIO(import_csv(side)), "ho-so.csv")},
        "dossiers.record_apology": {
            "reason": "Chờ xác nhận của phòng giáo dục",
            "new_due_date": (today + timedelta(days=7)).isoformat(),
            "channel": "counter",
            "issued_at": now.strftime("%Y-%m-%dT%H:%M"),
        },
        "dossiers.new_procedure": {
            "code": "THU-TUC-MOI",
            "name": "Thủ tục mới",
            "name_en": "New procedure",
            "working_days": "3",
            "online_level": "",
            "active": "y",
        },
        "dossiers.edit_procedure": {
            "name": "Tên thủ tục đã sửa",
            "name_en": "Edited",
            "working_days": "4",
            "online_level": "",
            "active": "y",
        },
        "dossiers.add_calendar_day": {"day": "2031-02-04", "kind": "off", "note": "Nghỉ bù Tết"},
        "dossiers.delete_calendar_day": {},
        "cases.add_note": {"text": "Đã liên hệ cô Hoa"},
        "cases.add_call": {"outcome": "reached", "notes": "Phụ huynh đồng ý"},
        "cases.resolve": {"resolution": "Nhà trường đã rút kinh nghiệm", "root_cause": "other"},
        "cases.set_status": {"action": "start", "text": "Bắt đầu xử lý"},
        "reports.file_report": {"period": last_month, "number": "15"},
        "reports.settings_targets": {
            "coverage": "90.0",
            "satisfaction": "95.0",
            "on_time": "95.0",
            "online_l4": "30.0",
            "apology": "100.0",
            "report_due_dates": "15/02, 15/05, 15/08, 10/11",
            "effective_from": today.isoformat(),
        },
        "survey.paper_entry": {"overall": "satisfied", "comment": "Phiếu giấy"},
        "kiosk.survey": {"overall": "satisfied", "comment": "Ki-ốt"},
        "kiosk.start": {"code": side.kiosk_dossier.short_code},
        "kiosk.devices": {"name": "Máy tính bảng mới"},
        "kiosk.show_link": {},
        "kiosk.revoke": {},
        "kiosk.enrol": {},
        "survey.survey": {"overall": "dissatisfied"},
        "survey.more": {
            "reasons": "long_wait",
            "comment": "Góp ý",
            "phone": "0901234567",
            "consent": "y",
        },
        "survey.loop": {"answer": "no", "comment": "Chưa hài lòng"},
        "survey.enter_code": {"code": side.fresh_dossier.short_code},
        "admin.new_clerk": {
            "full_name": "Trần Thị Văn Thư",
            "username": f"vanthu{side.school.code.lower()}",
            "email": "vanthu@school.test",
        },
        "admin.reset_password": {},
        "admin.deactivate_user": {},
        "admin.activate_user": {},
        "admin.new_school": {
            "school-code": "MOI",
            "school-name": "Trường THCS Mới",
            "school-address": "Phường Bình Đông",
        },
        "admin.new_principal": {
            "principal-school": side.school.code,
            "principal-full_name": "Lê Văn Hiệu",
            "principal-username": f"hieutruong{side.school.code.lower()}",
            "principal-email": "",
        },
        "auth.change_password": {
            "current": PASSWORD,
            "new": "mot cau mat khau moi",
            "confirm": "mot cau mat khau moi",
        },
    }


def import_csv(side: Side, applicant: str = "Nguyễn Thị Nhập") -> bytes:
    """A one-dossier import file in the documented format."""
    return (
        "procedure_code,applicant_name,applicant_phone,student_name,student_class,channel,"
        "received_at,returned_at\r\n"
        f"{side.procedure.code},{applicant},0901234567,Nguyễn Văn Con,7A2,counter,"
        f"{(local_now() - timedelta(days=2)).date().isoformat()},\r\n"
    ).encode()


TEXT_FIELDS = {
    "auth.login": ["username", "password"],
    "dossiers.new": ["student_name", "student_class", "applicant_name", "applicant_phone"],
    "dossiers.withdraw": ["reason"],
    "dossiers.record_apology": ["reason"],
    "dossiers.request_supplement_view": ["papers"],
    "dossiers.refuse_view": ["reason"],
    "dossiers.new_procedure": ["code", "name", "name_en"],
    "dossiers.edit_procedure": ["name", "name_en"],
    "dossiers.add_calendar_day": ["note"],
    "cases.add_note": ["text"],
    "cases.add_call": ["notes"],
    "cases.resolve": ["resolution"],
    "cases.set_status": ["text"],
    "reports.file_report": ["number"],
    "reports.settings_targets": ["report_due_dates"],
    "survey.paper_entry": ["comment"],
    "kiosk.survey": ["comment"],
    "kiosk.start": ["code"],
    "kiosk.devices": ["name"],
    "survey.more": ["comment", "phone"],
    "survey.loop": ["comment"],
    "survey.enter_code": ["code"],
    "admin.new_clerk": ["full_name", "username", "email"],
    "admin.new_school": ["school-code", "school-name", "school-address"],
    "admin.new_principal": ["principal-full_name", "principal-username"],
}
# Who posts to each route (a role allowed there); the public routes need no one.
POSTER = {
    "dossiers.add_calendar_day": "principal",
    "survey.paper_entry": "principal",  # not the clerk who received the dossier
    "kiosk.survey": "kiosk",  # the tablet's device credential, no staff session
    "kiosk.start": "kiosk",
    "admin.new_school": "office",
    "admin.new_principal": "office",
}
PUBLIC_POSTS = {
    "auth.login",
    "survey.survey",
    "survey.more",
    "survey.loop",
    "survey.enter_code",
    "kiosk.enrol",
}
TOKEN_BOUND = {"survey.survey", "survey.more", "survey.loop"}


def page_token(client, url: str) -> str:
    """The token-bound CSRF token of a parent's page (survey or loop form)."""
    return csrf_token_from(client.get(url).get_data(as_text=True))


class Poster:
    """Posts a form to any POST route the way its real user would (right role, right CSRF)."""

    def __init__(self, app, world: World):
        self.app, self.world = app, world
        self._clients: dict[int | tuple, tuple] = {}

    def client_for(self, user: User):
        if user.id not in self._clients:
            self._clients[user.id] = login(self.app, user)
        return self._clients[user.id]

    def tablet_for(self, side: Side):
        key = ("kiosk", side.kiosk.id)
        if key not in self._clients:
            self._clients[key] = tablet(self.app, side)
        return self._clients[key]

    def url(self, endpoint: str, side: Side | None = None) -> str:
        return url_for_endpoint(self.app, self.world, endpoint, side)

    def post(
        self,
        endpoint: str,
        data: dict,
        side: Side | None = None,
        csrf: bool = True,
        raw: bytes | None = None,
        **kw,
    ):
        """POST `data` (or a raw urlencoded body) to `endpoint` for `side`'s rows."""
        side = side or self.world.a
        url = self.url(endpoint, side)
        if endpoint in PUBLIC_POSTS:
            client = self.app.test_client()
            if endpoint in TOKEN_BOUND:
                page = url.removesuffix("/loop")
                token = page_token(client, page) if csrf else None
            elif endpoint == "auth.login":
                token = page_token(client, "/login") if csrf else None
            else:
                token = None
        elif POSTER.get(endpoint) == "kiosk":
            client, token = self.tablet_for(side)
            token = token if csrf else None
        else:
            who = POSTER.get(endpoint, "principal")
            user = self.world.office if who == "office" else getattr(side, who)
            client, token = self.client_for(user)
            token = token if csrf else None
        if raw is not None:
            body = raw + (b"&csrf_token=" + token.encode() if token else b"")
            return client.post(
                url, data=body, content_type="application/x-www-form-urlencoded", **kw
            )
        data = dict(data)
        if token:
            data["csrf_token"] = token
        return client.post(url, data=data, **kw)


@pytest.fixture
def poster(app, world) -> Poster:
    return Poster(app, world)
