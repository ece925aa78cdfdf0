"""The officer's side: dashboard, modules, lessons, quizzes, attempts and results."""
from __future__ import annotations

import hashlib
from typing import NamedTuple

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import format_time
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from course import release
from course.access import get_attempt_for
from course.answertokens import tokens_for
from course.downloads import content_disposition
from course.extensions import db
from course.forms import EmptyForm
from course.i18n import current_language
from course.models import Attempt, Module, Quiz
from course.models._types import utcnow
from course.models.content import text_in
from course.questions import get_type
from course.quizview import paginate, question_for_page, question_for_review
from course.services import (
    assignments,
    catalog,
    institute,
    privacy,
    progress,
    reading,
    referrals,
    reminders,
    review_policy,
)
from course.services import attempts as attempt_service
from course.sharedpages import render_shared
from course.views.refusals import service_call

bp = Blueprint("learn", __name__)


def _module_or_404(slug: str) -> Module:
    module = db.session.scalar(select(Module).where(Module.slug == slug, Module.retired.is_(False)))
    if module is None:
        abort(404)
    return module


def _quiz_or_404(key: str) -> Quiz:
    quiz = db.session.scalar(select(Quiz).where(Quiz.key == key, Quiz.retired.is_(False)))
    if quiz is None:
        abort(404)
    return quiz


def _grace() -> int:
    return current_app.config["QUIZ_GRACE_SECONDS"]


@bp.get("/")
@login_required
def dashboard():
    modules = progress.active_modules(db.session)
    statuses = progress.statuses_for(db.session, [current_user.id], modules, now=utcnow(),
                                     withhold=True)[current_user.id]
    tests = db.session.scalars(select(Quiz).where(Quiz.module_id.is_(None), Quiz.retired.is_(False))
                               .order_by(Quiz.kind.desc())).all()
    rows = [statuses[m.id] for m in modules]
    assigned = sorted((r for r in rows if r.assigned),
                      key=lambda r: (r.due.due_at is None, r.due.due_at or utcnow(), r.module.position))
    others = [r for r in rows if not r.assigned]
    if not current_user.is_staff and not assignments.show_unassigned_modules(db.session) and assigned:
        others = []
    updates = progress.updates_since_completion(db.session, current_user.id)
    return render_template("learn/dashboard.html", assigned=assigned, others=others, rows=rows, tests=tests,
                           updates=updates, reminders=reminders.waiting_for(db.session, current_user),
                           dismiss_form=EmptyForm(prefix="dismiss"))


@bp.get("/modules/<slug>")
@login_required
def module(slug: str):
    module = _module_or_404(slug)
    read = progress.read_lesson_ids(db.session, current_user, module)
    status = progress.statuses_for(db.session, [current_user.id], [module], now=utcnow(),
                                   withhold=True)[current_user.id][module.id]
    return render_template("learn/module.html", module=module, lessons=module.active_lessons, read=read,
                           status=status)


@bp.get("/modules/<slug>/lessons/<lesson_key>")
@login_required
def lesson(slug: str, lesson_key: str):
    # The busiest page: the course structure comes from this process's copy of the published
    # catalog, so the database is asked only for the stamps (is that copy current, did the
    # institute's settings change: read with the signed-in user) and what this officer read.
    user = current_user._get_current_object()
    identity = release.current(current_app, db.session, seen=user.loaded_stamps)
    published = catalog.current(db.session, identity.stamps.catalog)
    module = published.module(slug)
    if module is None:
        abort(404)
    lessons = module.lessons
    index = next((i for i, lesson in enumerate(lessons) if lesson.key == lesson_key), None)
    if index is None:
        abort(404)
    current = lessons[index]
    lang = current_language()
    text = current.text_for(lang)
    is_read = progress.has_read(db.session, user.id, current.id)
    contacts, contacts_key = None, ""
    if text and referrals.BOX in text.body:
        # The lesson refers to the institute's referral contacts: the page shows them (or, while
        # there are none, a note for officers and a warning for administrators).
        contacts = referrals.contacts(db.session)
        contacts_key = referrals.digest(contacts)
    # The page depends only on these (the same for every officer of the role and language), plus the
    # officer's sign-in session: a browser that already has it gets "304 Not Modified" and no page is
    # rendered (the form tokens it holds stay valid until that session ends; a new sign-in, with its
    # new form tokens, gets a new page). The release identity (course/release.py) covers the
    # templates, static files, translations and code, the published course and the institute's
    # settings: a new release or a change of settings is never answered with an old page.
    institute_name = text_in(institute.name_for(published, db.session, current_app.config["INSTITUTE_NAME"]), lang)
    shared_key = (identity.id, current.content_hash, module.content_hash, tuple(x.key for x in lessons),
                  text.body_hash if text else "", is_read, lang, contacts_key, institute_name)
    etag = hashlib.sha256("|".join(map(str, (
        *shared_key, user.id, user.login_key))).encode()).hexdigest()[:32]
    if etag in request.if_none_match:
        response = current_app.response_class(status=304)
    else:
        # Rendered once per process for every officer of the role and language; their name and
        # form token are filled in (course/sharedpages.py).
        response = make_response(render_shared(
            "learn/lesson.html", shared_key, module=module, lesson=current, text=text, lang=lang,
            contacts=contacts, marker=Markup(referrals.MARKER),
            translated=text is not None and text.language == lang, is_read=is_read,
            previous=lessons[index - 1] if index > 0 else None,
            next=lessons[index + 1] if index + 1 < len(lessons) else None,
            position=index + 1, total=len(lessons)))
    response.set_etag(etag)
    response.headers["Cache-Control"] = "private, no-cache"
    return response


@bp.post("/modules/<slug>/lessons/<lesson_key>/read")
@login_required
def mark_read(slug: str, lesson_key: str):
    module = _module_or_404(slug)
    lessons = module.active_lessons
    current = next((lesson for lesson in lessons if lesson.key == lesson_key), None)
    if current is None:
        abort(404)
    if not EmptyForm().validate_on_submit():
        abort(400)
    # A mark kept offline says when the officer pressed it (the service bounds that time).
    claimed = reading.parse_claimed(request.form.get("read_at")) if request.form.get("later") else None
    reading.mark_read(db.session, current_user, current, utcnow(), claimed)
    db.session.commit()
    position = lessons.index(current)
    last = position + 1 == len(lessons)
    target = (url_for("learn.module", slug=slug) if last else
              url_for("learn.lesson", slug=slug, lesson_key=lessons[position + 1].key))
    # A mark kept offline and sent later ("later") arrives while the officer is on another page:
    # it gets no flash, which would show up out of place.
    if last and not request.form.get("later"):
        flash(_("All lessons of this module are read. The quiz is next."), "success")
    if request.accept_mimetypes.best == "application/json":  # sent by static/js/offline.js
        return jsonify(ok=True, next=target)
    return redirect(target)


@bp.get("/quizzes/<key>")
@login_required
def quiz(key: str):
    quiz = _quiz_or_404(key)
    mine = attempt_service.attempts_of(db.session, current_user, quiz)
    left = review_policy.attempts_left_for(db.session, current_user.id, quiz, len(mine))
    reviews = review_policy.reviews_for(db.session, current_user, mine)
    closed = [a for a in mine if not a.is_open]
    grade = None
    if closed and all(reviews[a.id].score for a in closed):
        grade = attempt_service.overall_grade(mine, quiz.settings.get("grading", "highest"))
    granted = review_policy.granted_attempts(db.session, current_user.id, [quiz.id]).get(quiz.id, 0)
    return render_template("learn/quiz.html", quiz=quiz, attempts=mine, left=left, grade=grade, reviews=reviews,
                           granted=granted, diagnostic=review_policy.diagnostic(quiz), open_attempt=next((a for a in mine if a.is_open), None),
                           question_count=attempt_service.question_count(db.session, quiz), form=EmptyForm())


@bp.post("/quizzes/<key>/start")
@login_required
def start(key: str):
    quiz = _quiz_or_404(key)
    if not EmptyForm().validate_on_submit():
        abort(400)
    with service_call() as call:
        attempt = attempt_service.start_attempt(db.session, current_user, quiz, utcnow(), current_language())
    if call.refused:
        return redirect(url_for("learn.quiz", key=key))
    return redirect(url_for("learn.attempt", attempt_id=attempt.id))


def _own_attempt(attempt_id: int) -> Attempt:
    attempt = get_attempt_for(current_user, attempt_id)
    if attempt.user_id != current_user.id:
        abort(404)  # staff review attempts through the result page, never answer them
    return attempt


def _closed(attempt: Attempt) -> bool:
    """Whether the attempt is closed; one whose time has just run out is graded first (and the
    officer told)."""
    if attempt_service.close_if_overdue(db.session, attempt, utcnow(), _grace()):
        db.session.commit()
        flash(_("Time ran out. Your attempt was graded on the answers saved in time."), "warning")
    return not attempt.is_open


@bp.get("/attempts/<int:attempt_id>")
@login_required
def attempt(attempt_id: int):
    attempt = _own_attempt(attempt_id)
    if _closed(attempt):
        return redirect(url_for("learn.result", attempt_id=attempt.id))
    lang = current_language()
    answers = attempt_service.answers_for_page(db.session, attempt)
    tokens = tokens_for(current_app)
    questions = [question_for_page(attempt, answer, answer.definition, lang, tokens) for answer in answers]
    for number, question in enumerate(questions, start=1):
        question["number"] = number
    pages = paginate(questions, attempt.quiz.settings.get("questions_per_page"))
    page = min(max(1, request.args.get("page", 1, type=int) or 1), len(pages))
    return render_template("learn/attempt.html", attempt=attempt, quiz=attempt.quiz, questions=pages[page - 1],
                           page=page, pages=len(pages), total=len(questions), form=EmptyForm(),
                           extensions_left=attempt_service.extensions_left(attempt))


def _response_from_form(attempt_id: int, version_id: int, definition: dict, form):
    """One question's response in a posted form, read through the attempt's tokens."""
    fields = tokens_for(current_app).for_question(attempt_id, version_id, definition).decode_form(form)
    return get_type(definition["type"]).from_form(definition, fields, f"q{version_id}")


def _responses_from_form(attempt: Attempt, form) -> dict[int, object]:
    out = {}
    for answer in attempt_service.load_answers(db.session, attempt):
        response = _response_from_form(attempt.id, answer.question_version_id, answer.question_version.definition,
                                        form)
        if response is not None:
            out[answer.question_version_id] = response
    return out


@bp.post("/attempts/<int:attempt_id>/answer")
@login_required
def save_answer(attempt_id: int):
    """Autosave of one answer (sent by the page's script, replayed from its offline journal)."""
    try:
        version_id = int(request.form.get("question", ""))
        seq = int(request.form.get("seq", ""))
    except ValueError:
        version_id = seq = -1
    if not (0 < version_id < 2**31 and 0 <= seq < 2**31):
        _own_attempt(attempt_id)  # someone else's attempt is not found, whatever was sent
        return jsonify(ok=False, error=_("The answer could not be read.")), 400
    # The usual case (the officer's open attempt, a newer answer) in one statement; anything else
    # goes the long way below, which says exactly what is wrong.
    known = attempt_service.question_definition(db.session, version_id)
    if known is not None:
        response = _response_from_form(attempt_id, version_id, known[0], request.form)
        stored = attempt_service.save_answer_at_once(db.session, current_user.id, attempt_id, version_id, known,
                                                     response, seq, utcnow(), _grace())
        if stored is not None:
            db.session.commit()
            return jsonify(ok=True, seq=stored, question=version_id)
    attempt = _own_attempt(attempt_id)
    answer = attempt_service.find_answer(db.session, attempt, version_id)
    if answer is None:
        return jsonify(ok=False, error=_("That question is not part of this attempt.")), 400
    response = _response_from_form(attempt.id, version_id, answer.question_version.definition, request.form)
    with service_call(keep=True, report=False) as call:  # an expiry found while saving is kept
        saved = attempt_service.save_answer(db.session, attempt, version_id, response, seq, utcnow(), _grace(),
                                            answer=answer)
    if call.refused:
        return jsonify(ok=False, error=call.error.message, closed=not attempt.is_open), call.error.status
    return jsonify(ok=True, seq=saved.seq, question=version_id)


@bp.post("/attempts/<int:attempt_id>/save")
@login_required
def save_all(attempt_id: int):
    """Without JavaScript: keep every answer on the page and come back later."""
    attempt = _own_attempt(attempt_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    with service_call(keep=True) as call:  # an expiry found while saving is kept
        for version_id, response in _responses_from_form(attempt, request.form).items():
            attempt_service.save_answer(db.session, attempt, version_id, response, None, utcnow(), _grace())
    if call.refused:
        return redirect(url_for("learn.attempt", attempt_id=attempt.id))
    go_to = request.args.get("page", type=int)
    if go_to:  # moving between pages of a long quiz: the answers of this page are kept
        return redirect(url_for("learn.attempt", attempt_id=attempt.id, page=go_to))
    flash(_("Your answers are saved. You can come back to this attempt at any time."), "success")
    return redirect(url_for("learn.quiz", key=attempt.quiz.key))


@bp.post("/attempts/<int:attempt_id>/submit")
@login_required
def submit(attempt_id: int):
    """Submit the attempt. Unless the officer already confirmed, the answers posted are kept and,
    with questions unanswered or no attempt left after this one, the confirmation page asks first."""
    attempt = _own_attempt(attempt_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    if attempt.is_open:
        with service_call() as call:
            responses = _responses_from_form(attempt, request.form)
            if request.form.get("confirmed") != "1" and not attempt_service.is_overdue(attempt, utcnow(), _grace()):
                attempt_service.save_answers(db.session, attempt, responses, utcnow(), _grace())
                if attempt_service.before_submit(db.session, attempt).needs_confirmation:
                    # (leaving the block commits the answers just kept)
                    return redirect(url_for("learn.confirm_submit", attempt_id=attempt.id))
                responses = {}  # kept already
            attempt_service.submit_attempt(db.session, attempt, utcnow(), _grace(), responses)
        if call.refused:
            return redirect(url_for("learn.attempt", attempt_id=attempt.id))
    return redirect(url_for("learn.result", attempt_id=attempt.id))


@bp.get("/attempts/<int:attempt_id>/submit")
@login_required
def confirm_submit(attempt_id: int):
    """Before submitting: which questions are unanswered, and whether the quiz can be taken again."""
    attempt = _own_attempt(attempt_id)
    if _closed(attempt):
        return redirect(url_for("learn.result", attempt_id=attempt.id))
    check = attempt_service.before_submit(db.session, attempt)
    lang = current_language()
    questions = [question_for_page(attempt, answer, answer.definition, lang)
                 for answer in attempt_service.answers_for_page(db.session, attempt)]
    pages = paginate(questions, attempt.quiz.settings.get("questions_per_page"))
    page_of = {q["position"]: number for number, page in enumerate(pages, start=1) for q in page}
    unanswered = [{"number": q["position"], "stem": q["stem"], "page": page_of[q["position"]]}
                  for q in questions if q["position"] in check.unanswered]
    return render_template("learn/confirm_submit.html", attempt=attempt, quiz=attempt.quiz, check=check,
                           unanswered=unanswered, total=len(questions), form=EmptyForm())


@bp.get("/attempts/<int:attempt_id>/result")
@login_required
def result(attempt_id: int):
    attempt = get_attempt_for(current_user, attempt_id)
    if attempt.is_open:
        if attempt.user_id == current_user.id:
            return redirect(url_for("learn.attempt", attempt_id=attempt.id))
        abort(404)
    review = review_policy.reviews_for(db.session, attempt.user, [attempt], viewer=current_user)[attempt.id]
    lang = current_language()
    questions = [] if review.state in review_policy.NOTHING_TO_SHOW else [
        question_for_review(attempt, answer, lang, review) for answer in attempt_service.load_answers(db.session, attempt)]
    used = len(attempt_service.attempts_of(db.session, attempt.user, attempt.quiz))
    left = review_policy.attempts_left_for(db.session, attempt.user_id, attempt.quiz, used)
    return render_template("learn/result.html", attempt=attempt, quiz=attempt.quiz, questions=questions,
                           review=review, left=left, next_steps=_next_steps(attempt, review, left, lang))


class NextStep(NamedTuple):
    url: str
    label: str
    primary: bool = False


def _next_steps(attempt: Attempt, review, left: int | None, lang: str) -> list[NextStep]:
    """Where a result page leads (offered at its top and at its end, a long page's end being where the
    officer finishes reading): another try when it failed, the next module when it is done, the module."""
    if attempt.user_id != current_user.id:  # staff reviewing an officer's attempt
        return [NextStep(url_for("trainer.officer", user_id=attempt.user_id),
                         _("Back to the transcript of %(name)s", name=attempt.user.full_name), True)]
    quiz = attempt.quiz
    steps = []
    failed = review.outcome and not attempt.passed
    if failed and (left is None or left > 0):
        steps.append(NextStep(url_for("learn.quiz", key=quiz.key), _("Try again"), True))
    module = quiz.module
    if module is None:
        steps.append(NextStep(url_for("learn.dashboard"), _("Back to my course"), not steps))
        return steps
    following = db.session.scalar(select(Module).where(Module.retired.is_(False), Module.position > module.position)
                                  .order_by(Module.position).limit(1))
    if following is not None and not failed:
        steps.append(NextStep(url_for("learn.module", slug=following.slug),
                              _("Next module: %(title)s", title=following.title_in(lang)), not steps))
    steps.append(NextStep(url_for("learn.module", slug=module.slug),
                          _("Back to the module: %(title)s", title=module.title_in(lang)), not steps))
    return steps


@bp.post("/attempts/<int:attempt_id>/extend")
@login_required
def extend(attempt_id: int):
    """More time on a timed quiz, as many times as the quiz allows."""
    attempt = _own_attempt(attempt_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    with service_call(keep=True) as call:  # an expiry found on the way is kept
        attempt_service.extend_time(db.session, attempt, utcnow(), _grace())
    if call.refused:
        return redirect(url_for("learn.attempt", attempt_id=attempt.id))
    flash(_("You have %(n)s more minutes. New end time: %(time)s.",
            n=attempt.quiz.settings["time_extension_minutes"], time=format_time(attempt.deadline_at, "short")),
          "success")
    return redirect(url_for("learn.attempt", attempt_id=attempt.id))


@bp.get("/attempts")
@login_required
def my_attempts():
    mine = db.session.scalars(select(Attempt).where(Attempt.user_id == current_user.id)
                              .options(selectinload(Attempt.quiz)).order_by(Attempt.started_at.desc())).all()
    return render_template("learn/attempts.html", attempts=mine,
                           reviews=review_policy.reviews_for(db.session, current_user, mine))


@bp.get("/me/data.json")
@login_required
def my_data():
    """Everything Marsa holds about the signed-in person, as JSON."""
    data = privacy.personal_data(db.session, current_user)
    response = jsonify(data)
    response.headers["Content-Disposition"] = content_disposition(f"marsa-my-data-{current_user.username}.json")
    return response
