"""Enum labels live beside their enums (one home), and the administrative date line."""

import re
from datetime import date
from pathlib import Path

import pytest
from flask_babel import force_locale

from survey_app.enums import LabelledEnum
from survey_app.jinja_filters import ENUMS
from survey_app.letterhead import date_line, day_month, place_name

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


def test_every_enum_member_has_a_vietnamese_label_and_an_english_one(app):
    enums = [e for e in vars(ENUMS).values() if issubclass(e, LabelledEnum)]
    assert len(enums) == len(vars(ENUMS))
    for enum_cls in enums:
        for member in enum_cls:
            with app.test_request_context(), force_locale("vi"):
                vi = member.label
                assert enum_cls.label_of(member.value) == vi
            with app.test_request_context(), force_locale("en"):
                en = member.label
            assert vi and vi != member.value, member
            assert en and en != vi, (member, vi)
    assert ENUMS.DossierStatus.label_of("bogus") == "bogus"
    assert ENUMS.DossierStatus.label_of(None) == ""


def test_no_template_maps_an_enum_value_to_a_label_of_its_own():
    """`{'received': _('...')}` in a template is a second home for a label: use `enums`."""
    values = {m.value for e in vars(ENUMS).values() for m in e}
    mapping = re.compile(r"""['"]([a-z_0-9]+)['"]\s*:\s*_\(""")
    found = []
    audit_actions = re.compile(r"{% macro action_label.*?endmacro %}", re.S)  # not an enum
    for path in TEMPLATES.rglob("*.html"):
        text = audit_actions.sub("", path.read_text(encoding="utf-8"))
        for value in mapping.findall(text):
            if value in values:
                found.append((path.name, value))
    # the inbox's filter names ("all", "overdue") are not case statuses; its statuses are
    assert not [f for f in found if f[1] not in ("all", "overdue")], found


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2026, 12, 4), "ngày 04 tháng 12 năm 2026"),
        (date(2026, 3, 15), "ngày 15 tháng 3 năm 2026"),
        (date(2026, 2, 5), "ngày 05 tháng 02 năm 2026"),
        (date(2026, 1, 10), "ngày 10 tháng 01 năm 2026"),
        (date(2026, 10, 9), "ngày 09 tháng 10 năm 2026"),
    ],
)
def test_date_line_writes_the_zeros_decree_30_asks_for(app, day, expected):
    with app.test_request_context(), force_locale("vi"):
        assert date_line(day) == expected
        assert (
            date_line(day, "Phường Chánh Hưng, TP. Hồ Chí Minh") == "Phường Chánh Hưng, " + expected
        )
    assert day_month(day) == tuple(expected.split()[1:4:2])


def test_place_name_is_the_ward_or_commune_of_the_address():
    assert place_name("12 Phạm Thế Hiển, Phường Chánh Hưng, TP. Hồ Chí Minh") == "Phường Chánh Hưng"
    assert place_name("Ấp 3, Xã Bình Hưng, TP. Hồ Chí Minh") == "Xã Bình Hưng"
    assert place_name("Hà Nội") == "Hà Nội"
    assert place_name(None) == "" and place_name(" , ") == ""
