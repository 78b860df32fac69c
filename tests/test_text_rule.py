"""The one rule for typed text (survey_app.forms.BAD_CHARS): every form refuses control
characters and U+FFFD with the same message; line breaks and tabs only in a multi-line
field; free text is NFC-normalised, CRLF counted as LF, trimmed."""

import unicodedata

import pytest
from werkzeug.datastructures import MultiDict
from wtforms import StringField

from survey_app.admin.forms import StaffForm
from survey_app.dossiers.forms import DossierForm
from survey_app.forms import Form, has_bad_chars, text_area
from survey_app.survey.forms import LoopForm


class _Probe(Form):
    class Meta:
        csrf = False

    line = StringField(validators=[])
    text = text_area("text", max_length=20)


@pytest.fixture(autouse=True)
def _request(app):
    with app.test_request_context():
        yield


@pytest.mark.parametrize(
    ("text", "single", "bad"),
    [
        ("Nguyễn Văn A", True, False),
        ("a\x00b", False, True),
        ("a\x1bb", False, True),
        ("a\x85b", False, True),  # C1
        ("a\ufffdb", False, True),  # invalid UTF-8, as Werkzeug decodes it
        ("a\tb\r\nc", False, False),
        ("a\tb", True, True),
        ("a\nb", True, True),
    ],
)
def test_bad_chars(text, single, bad):
    assert has_bad_chars(text, single) is bad


def test_free_text_is_normalised_and_checked():
    decomposed = unicodedata.normalize("NFD", "Hài lòng")
    form = _Probe(formdata=MultiDict({"text": f"  {decomposed}\r\nx  "}))
    assert form.validate(), form.errors
    assert form.text.data == "Hài lòng\nx"
    form = _Probe(formdata=MultiDict({"text": "a\x00b"}))
    assert not form.validate()
    assert form.text.errors == ["Nội dung có ký tự không hợp lệ, vui lòng gõ lại."]
    form = _Probe(formdata=MultiDict({"text": "x" * 21}))
    assert not form.validate() and form.text.errors == ["Tối đa 20 ký tự."]


@pytest.mark.parametrize(
    ("form_class", "field", "meta"),
    [
        (StaffForm, "full_name", {"csrf": False}),
        (DossierForm, "student_name", {"csrf": False}),
        (LoopForm, "comment", {"csrf": False}),
    ],
)
def test_every_form_uses_the_one_rule(form_class, field, meta):
    form = form_class(formdata=MultiDict({field: "Trần\x00Bé"}), meta=meta)
    assert not form[field].validate(form)  # this field's own checks
    assert form[field].errors == ["Nội dung có ký tự không hợp lệ, vui lòng gõ lại."]
