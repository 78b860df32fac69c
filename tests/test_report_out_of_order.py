"""The month's figures when dossier ids do not follow receipt (both engines): a dossier
entered late with an earlier receipt counts in its month, other months' and other schools'
dossiers entered between count nowhere. (Until 2026-12-04 the PostgreSQL queries held the
responses to the id range of the month's dossiers, which such dossiers widen.)
"""

from datetime import datetime

from survey_app.reports import periods, queries

JAN = periods.parse_period("2020-01")


def test_intake_and_aspects_over_dossiers_entered_out_of_order(make):
    school = make.school()
    other = make.school(code="OTHER", name="Trường THCS Khác")
    dt = datetime
    first = make.dossier(school=school, received_at=dt(2020, 1, 20, 9))
    # ids between the month's first and last dossier: February, and another school
    february = make.dossier(school=school, received_at=dt(2020, 2, 5, 9))
    elsewhere = make.dossier(school=other, received_at=dt(2020, 1, 21, 9))
    # entered last, received earliest: the month's highest id
    backdated = make.dossier(school=school, received_at=dt(2020, 1, 2, 9))
    make.dossier(school=school, received_at=dt(2020, 1, 25, 9))  # unanswered

    make.response(
        first,
        overall="satisfied",
        channel="qr",
        details={"info_clear": "satisfied"},
        comment="Cảm ơn thầy cô.",
    )
    make.response(
        backdated,
        overall="dissatisfied",
        channel="paper",
        details={"info_clear": "dissatisfied"},
        reasons=["impolite"],
        comment="   ",  # blank: not a comment
    )
    for outside in (february, elsewhere):
        make.response(
            outside,
            overall="very_satisfied",
            channel="kiosk",
            details={"info_clear": "very_satisfied"},
            comment="Ngoài tháng, ngoài trường.",
        )

    i = queries.intake(school.id, JAN)[None]
    assert (i.received, i.surveyed) == (3, 2)
    assert (i.satisfied, i.dissatisfied, i.very_satisfied) == (1, 1, 0)
    assert (i.qr, i.paper, i.kiosk) == (1, 1, 0)
    assert (i.comments, i.suggestions) == (1, 1)

    aspects, reasons = queries.aspects(school.id, JAN)
    info = next(a for a in aspects if a.question.code == "info_clear")
    assert info.counts == {"very_satisfied": 0, "satisfied": 1, "dissatisfied": 1}
    assert (info.answered, info.negative) == (2, 1)
    assert reasons["impolite"] == 1

    # all schools: the other school's January dossier joins in, February's still does not
    every = queries.intake(None, JAN)[None]
    assert (every.received, every.surveyed, every.kiosk, every.comments) == (4, 3, 1, 2)


def test_an_empty_month_reads_no_range(make):
    school = make.school()
    make.response(make.dossier(school=school, received_at=datetime(2020, 2, 5, 9)))
    i = queries.intake(school.id, JAN)[None]
    assert (i.received, i.surveyed, i.comments) == (0, 0, 0)
    aspects, reasons = queries.aspects(school.id, JAN)
    assert all(a.answered == 0 for a in aspects) and not any(reasons.values())
