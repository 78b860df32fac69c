"""The parent's survey: /s/<token> (status, step 1, answered, gone), its step 2 at
/s/<token>/more, the thank-you page, and /s (short code)."""

from flask import current_app, get_template_attribute, redirect, render_template, request, url_for
from flask_babel import gettext as _
from markupsafe import Markup

from survey_app import questions
from survey_app.dossiers.models import Dossier
from survey_app.extensions import asked_lang, csrf
from survey_app.security import bad_form_fields
from survey_app.sqlite_settings import reads_first
from survey_app.survey import bp, details, lookup
from survey_app.survey.forms import BaseSurveyForm, CodeForm, SkipForm, SurveyForm, step_two_form
from survey_app.survey.loop import loop_page
from survey_app.survey.models import ResponseChannel
from survey_app.survey.refusal import Refusal, refusal
from survey_app.survey.submit import store_response


def _via() -> str | None:
    """Self-service channel from the link: `code` when typed at /s, else `qr`."""
    return "code" if request.args.get("via") == "code" else None


def _survey_url(token: str, **extra) -> str:
    return url_for("survey.survey", token=token, via=_via(), lang=asked_lang(), **extra)


@bp.context_processor
def _survey_context() -> dict:
    """The question module and the language switch (same page, other `lang`)."""
    args = dict(request.view_args or {}, via=_via())
    assert request.endpoint is not None  # a blueprint's context processor: a route matched
    urls = {
        lang: url_for(request.endpoint, **args, lang=lang)
        for lang in current_app.config["LANGUAGES"]
    }
    return {"questions": questions, "lang_urls": urls}


def _gone(code: int):
    # Unknown (404), expired and withdrawn (410) links share one page: same shape, same size
    # (the language switch points at /s, not at the token).
    urls = {
        lang: url_for("survey.enter_code", lang=lang) for lang in current_app.config["LANGUAGES"]
    }
    return render_template("survey/gone.html", code=code, lang_urls=urls), code


gone_page = _gone  # also for /s/... paths no route matches (errors.py)


def _answered(dossier: Dossier):
    page = loop_page(dossier)
    if page is not None:
        return page
    return render_template("survey/answered.html", dossier=dossier), 409


def _fields_html(form: BaseSurveyForm) -> Markup:
    """The form's questions, rendered by the macro every survey page shares."""
    return get_template_attribute("survey/_fields.html", "parent_fields")(form, questions)


def _form_page(dossier: Dossier, form: BaseSurveyForm, status: int = 200):
    return render_template(
        "survey/form.html",
        form=form,
        fields=_fields_html(form),
        dossier=dossier,
        action=_survey_url(dossier.token),
    ), status


def _more_page(dossier: Dossier, answer: details.StepOne, form: BaseSurveyForm, status=200):
    return render_template(
        "survey/more.html",
        form=form,
        fields=_fields_html(form),
        dossier=dossier,
        satisfied=answer.overall in questions.SATISFIED_VALUES,
        action=url_for("survey.more", token=dossier.token, lang=asked_lang()),
    ), status


def _thanks_url(token: str) -> str:
    return url_for("survey.thanks", token=token, lang=asked_lang())


def _refused(dossier: Dossier, refused: Refusal):
    """The parent's page for each refusal of survey.refusal (the rules of every channel)."""
    if refused.reason == "not_returned":
        status = 409 if request.method == "POST" else 200
        return render_template("survey/status.html", dossier=dossier), status
    if refused.reason == "answered":
        return _answered(dossier)
    return _gone(refused.status)  # withdrawn, expired: 410, the page of an unknown link


bp.register_error_handler(429, lookup.too_many_page)


@bp.route("/s/<token>", methods=["GET", "POST"])
@csrf.exempt  # token-bound CSRF in the form instead (works with cookies blocked)
@reads_first  # SQLite's write lock for the inserts only (store_response)
def survey(token: str):
    dossier = lookup.dossier_for_token(token)
    if dossier is None:
        return lookup.refuse("token", token, lambda: _gone(404))
    channel = ResponseChannel.CODE if _via() == "code" else ResponseChannel.QR
    refused = refusal(dossier, channel, answered=lookup.answered_at_lookup(dossier))
    if refused is not None:
        return _refused(dossier, refused)

    bad_bytes = bad_form_fields() if request.method == "POST" else set()
    form = SurveyForm(meta={"csrf_context": dossier.token})
    if request.method == "GET":
        return _form_page(dossier, form)
    if not form.validate() or bad_bytes:
        form.reject_bytes(bad_bytes)
        return _form_page(dossier, form, 400)
    if store_response(dossier, form, channel) is None:
        return _answered(dossier)
    return redirect(url_for("survey.more", token=token, lang=asked_lang()), code=303)


@bp.route("/s/<token>/more", methods=["GET", "POST"])
@csrf.exempt  # token-bound CSRF in the form, as on step 1
def more(token: str):
    """Step 2: optional, what fits the first answer, once, within the window after it."""
    dossier = lookup.dossier_for_token(token)
    if dossier is None:
        return lookup.refuse("token", token, lambda: _gone(404))
    answer = details.step_one(dossier)
    if answer is None:  # no step 1 yet (or the dossier is not open for answers)
        return redirect(url_for("survey.survey", token=token, lang=asked_lang()), code=303)
    if not details.is_open(dossier, answer):
        if request.method == "POST":
            return _thanks_page(dossier, 409, closed=True)
        return redirect(_thanks_url(token), code=303)

    meta = {"csrf_context": dossier.token}
    form = step_two_form(answer.overall)(meta=meta)
    if request.method == "GET":
        return _more_page(dossier, answer, form)
    if "skip" in request.form:
        skip = SkipForm(meta=meta)
        if not skip.validate():
            blank = step_two_form(answer.overall)(formdata=None, meta=meta)
            blank.form_errors.extend(skip.csrf_token.errors)
            return _more_page(dossier, answer, blank, 400)
        stored: BaseSurveyForm | None = None  # skipped: no answers
    else:
        bad_bytes = bad_form_fields()
        if not form.validate() or bad_bytes:
            form.reject_bytes(bad_bytes)
            return _more_page(dossier, answer, form, 400)
        stored = form
    if not details.store_details(dossier, answer, stored):
        return _thanks_page(dossier, 409, closed=True)
    return redirect(_thanks_url(token), code=303)


def _thanks_page(dossier: Dossier, status: int = 200, closed: bool = False):
    """The same page whatever was answered: a clerk holding the link learns nothing."""
    return render_template("survey/thanks.html", dossier=dossier, closed=closed), status


@bp.route("/s/<token>/thanks")
def thanks(token: str):
    dossier = lookup.dossier_for_token(token)
    if dossier is None:
        return lookup.refuse("token", token, lambda: _gone(404))
    if not lookup.answered_at_lookup(dossier):
        return redirect(url_for("survey.survey", token=token, lang=asked_lang()), code=303)
    return _thanks_page(dossier)


@bp.route("/s/", methods=["GET", "POST"])
@bp.route("/s", methods=["GET", "POST"])
@csrf.exempt  # a lookup changes nothing; parents' browsers may block cookies
def enter_code():
    form = CodeForm()
    if request.method == "GET":
        return render_template("survey/enter_code.html", form=form), 200
    if not form.validate() or not form.code.data:
        form.code.errors = [_("Vui lòng nhập mã 8 ký tự in trên phiếu khảo sát.")]
        return render_template("survey/enter_code.html", form=form), 400
    dossier = lookup.dossier_for_short_code(form.code.data)
    if dossier is None:
        form.code.errors = [
            _("Không tìm thấy mã này. Vui lòng kiểm tra lại mã trên phiếu (không có chữ O, I, L).")
        ]
        return lookup.refuse(
            "code",
            form.code.data,
            lambda: (render_template("survey/enter_code.html", form=form), 404),
        )
    return redirect(
        url_for("survey.survey", token=dossier.token, via="code", lang=asked_lang()), code=303
    )
