"""The rules every channel obeys, in one place: qr, code, paper and kiosk all call refusal().

- a withdrawn dossier is not surveyed, one not yet returned cannot be yet;
- one answer per dossier (the database's unique constraint decides a race; this is the
  friendly check before the form);
- on paper and on the kiosk, whoever received or returned the dossier does not enter its
  answer, where the school has more than one staff member ("Honest figures");
- the survey link expires (token_expires_at); after that only a paper form may still be
  entered, and only with a reason, which is stored and counted apart.
"""

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import func, select

from survey_app.auth.models import Role, User
from survey_app.dossiers.models import Dossier, DossierStatus
from survey_app.extensions import db
from survey_app.survey.models import ASSISTED, ResponseChannel
from survey_app.survey.submit import can_answer, is_answered, is_expired
from survey_app.timeutil import to_local


@dataclass(frozen=True)
class Refusal:
    reason: str  # withdrawn | not_returned | answered | handled | expired
    status: int  # the HTTP status of the page that says so
    message: str


def _handled(dossier: Dossier, user: User | None) -> bool:
    return user is not None and user.id in (dossier.received_by_id, dossier.returned_by_id)


def _more_than_one_staff(school_id: int) -> bool:
    staff = db.session.execute(
        select(func.count(User.id)).where(
            User.school_id == school_id,
            User.active.is_(True),
            User.role.in_((Role.PRINCIPAL, Role.CLERK)),
        )
    ).scalar_one()
    return staff > 1


def handled_by(dossier: Dossier, user: User | None) -> bool:
    """Whether `user` received or returned the dossier, in a school with more than one
    active staff member (a one-person desk has nobody else to enter it)."""
    return _handled(dossier, user) and _more_than_one_staff(dossier.school_id)


def handled_among(dossiers: list[Dossier], user: User | None) -> set[int]:
    """The ids of one school's `dossiers` that `user` may not enter (handled_by), with one
    count of the school's staff for the whole list."""
    mine = [d for d in dossiers if _handled(d, user)]
    if not mine or not _more_than_one_staff(mine[0].school_id):
        return set()
    return {d.id for d in mine}


def refusal(
    dossier: Dossier,
    channel: ResponseChannel,
    operator: User | None = None,
    *,
    late_reason: str | None = None,
    answered: bool | None = None,
) -> Refusal | None:
    """Why no answer may be taken for `dossier` on `channel` now, or None.

    `operator` is the staff member entering it (paper) or signed in on the kiosk, if any;
    `late_reason` the paper form's reason for entering it after the link expired;
    `answered`, when the caller already knows it, saves a query.
    """
    if dossier.status is DossierStatus.WITHDRAWN:
        return Refusal("withdrawn", 410, _("Hồ sơ đã rút, không khảo sát."))
    if not can_answer(dossier):
        return Refusal("not_returned", 409, _("Hồ sơ chưa trả kết quả, chưa thể khảo sát."))
    if is_answered(dossier) if answered is None else answered:
        return Refusal(
            "answered", 409, _("Hồ sơ này đã có phiếu khảo sát (mỗi hồ sơ chỉ một phiếu).")
        )
    if channel in ASSISTED and handled_by(dossier, operator):
        return Refusal(
            "handled",
            403,
            _(
                "Ông/Bà đã tiếp nhận hoặc trả hồ sơ này, nên không nhập phiếu khảo sát của "
                "hồ sơ này. Vui lòng nhờ một cán bộ khác nhập."
            ),
        )
    if is_expired(dossier) and not (channel is ResponseChannel.PAPER and late_reason):
        assert dossier.token_expires_at is not None  # is_expired() is False without one
        return Refusal(
            "expired",
            410,
            _(
                "Thời hạn khảo sát của hồ sơ này đã hết (ngày %(date)s).",
                date=to_local(dossier.token_expires_at).strftime("%d/%m/%Y"),
            ),
        )
    return None


def late_entry(dossier: Dossier, channel: ResponseChannel) -> bool:
    """A paper form entered after the link expired: it needs a reason and counts apart."""
    return channel is ResponseChannel.PAPER and is_expired(dossier)
