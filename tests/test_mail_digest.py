"""`flask notify digest`: the daily mail of overdue cases, per school, through the outbox."""

from datetime import timedelta

from survey_app.cases.models import CaseStatus, RootCause
from survey_app.extensions import db
from survey_app.timeutil import local_today
from tests.test_cases import open_case
from tests.test_mail import smtp  # noqa: F401  (fixture)


def _overdue(case, days=3):
    case.due_date = local_today() - timedelta(days=days)
    db.session.commit()
    return case


def test_digest_lists_each_schools_overdue_cases_once_a_day(make, runner, smtp):  # noqa: F811
    here, there = make.school(), make.school("OTHER", "Trường Khác")
    empty = make.school("EMPTY", "Trường Không Có Phản Ánh")
    make.user("principal", username="ht_here", email="here@school.test", school=here)
    make.user("principal", username="ht_there", email="there@school.test", school=there)
    make.user("principal", username="ht_empty", email="empty@school.test", school=empty)
    late = _overdue(open_case(make, school=here, comment="Bí mật của phụ huynh"))
    on_time = open_case(make, school=here)
    done = _overdue(open_case(make, school=here))
    done.status, done.resolution, done.root_cause = CaseStatus.RESOLVED, "x", RootCause.OTHER
    serious = _overdue(open_case(make, school=there, details={"extra_payment": "yes"}), days=10)
    db.session.commit()
    assert "sent 4" in runner.invoke(args=["notify", "send"]).output  # the cases' own mails
    smtp.inbox.messages.clear()

    result = runner.invoke(args=["notify", "digest"])
    assert result.exit_code == 0, result.output
    assert "queued 2, sent 2, failed 0" in result.output
    by_recipient = {m["To"]: m for m in smtp.messages}
    assert set(by_recipient) == {"here@school.test", "there@school.test"}
    body_here = by_recipient["here@school.test"].get_content()
    assert late.response.dossier.code in body_here
    assert on_time.response.dossier.code not in body_here
    assert done.response.dossier.code not in body_here
    assert "Bí mật của phụ huynh" not in body_here
    assert f"/cases/{late.id}" in body_here
    assert "1 phản ánh quá hạn" in by_recipient["here@school.test"]["Subject"]
    body_there = by_recipient["there@school.test"].get_content()
    assert serious.response.dossier.code in body_there and "[NGHIÊM TRỌNG]" in body_there

    again = runner.invoke(args=["notify", "digest"])
    assert "queued 0, sent 0, failed 0" in again.output
    assert len(smtp.messages) == 2
    forced = runner.invoke(args=["notify", "digest", "--force"])
    assert "queued 2, sent 2" in forced.output


def test_no_overdue_case_no_digest(make, runner, smtp):  # noqa: F811
    make.user("principal", email="here@school.test")
    open_case(make)
    runner.invoke(args=["notify", "send"])
    smtp.inbox.messages.clear()
    result = runner.invoke(args=["notify", "digest"])
    assert "queued 0" in result.output
    assert smtp.messages == []
