"""F12: answers at 23:59:59 and 00:00:00 Asia/Ho_Chi_Minh on a month's last night.

The served app stores two real submissions; their instants are then moved to the boundary
(the server's clock is not faked: that would need libfaketime). The exports and the report
page of both months, served by gunicorn, must each count exactly one.
"""

import re
from datetime import date, datetime, timedelta

from sqlalchemy import create_engine, select, update

from survey_app.dossiers.models import Dossier
from survey_app.survey.models import Response
from survey_app.timeutil import local_to_utc
from tests.faults import harness


def _move(url: str, token: str, local: datetime) -> str:
    """Put the dossier's receipt, return and answer at the local instant; its code.

    Through the models' column types: a raw `text()` UPDATE would store SQLite datetimes
    without the microseconds SQLAlchemy writes, and string comparison would then misplace
    00:00:00 (seen while writing this test).
    """
    at = local_to_utc(local)
    engine = create_engine(url)
    with engine.begin() as conn:
        dossier_id, code = conn.execute(
            select(Dossier.id, Dossier.code).where(Dossier.token == token)
        ).one()
        conn.execute(
            update(Dossier)
            .where(Dossier.id == dossier_id)
            .values(
                received_at=at,
                returned_at=at,
                received_on=local.date(),
                due_date=local.date() + timedelta(days=7),
            )
        )
        conn.execute(
            update(Response).where(Response.dossier_id == dossier_id).values(submitted_at=at)
        )
    engine.dispose()
    return code


def _count(html_or_csv: str, label: str) -> int:
    match = re.search(re.escape(label) + r'(?:</td><td class="num">|,)(\d+)', html_or_csv)
    assert match, label
    return int(match.group(1))


def test_f12_month_boundary_in_reports(db_url, serve):
    made = harness.seed(db_url, tokens=2, code="F12")
    server = serve(db_url, workers=1)
    assert [harness.submit(server.port, t).status for t in made.tokens] == [303, 303]

    year = date.today().year - 1
    last = _move(db_url, made.tokens[0], datetime(year, 1, 31, 23, 59, 59))
    first = _move(db_url, made.tokens[1], datetime(year, 2, 1, 0, 0, 0))
    # Stored as naive UTC: 16:59:59 and 17:00:00 on the 31st, the same UTC day.
    assert (
        harness.scalar(
            db_url,
            "SELECT count(*) FROM response WHERE submitted_at >= :a AND submitted_at < :b",
            a=datetime(year, 1, 31),
            b=datetime(year, 2, 1),
        )
        == 2
    )

    principal = harness.Session(server.port)
    principal.login("ht_f12")
    january = principal.get(f"/reports/export?period={year}-01&format=csv").body
    february = principal.get(f"/reports/export?period={year}-02&format=csv").body
    assert last in january and first not in january
    assert first in february and last not in february
    assert f"31/01/{year} 23:59" in january and f"01/02/{year} 00:00" in february
    for sheet in (january, february):
        assert _count(sheet, "Hồ sơ tiếp nhận") == 1
        assert _count(sheet, "Hồ sơ được khảo sát") == 1
    # The page the principal reads uses the same rule as the file.
    for month in ("01", "02"):
        page = principal.get(f"/reports?period={year}-{month}").body
        assert _count(page, "Hồ sơ tiếp nhận") == 1
        assert _count(page, "Hồ sơ được khảo sát") == 1
