"""Publish a checked package into the database, in the caller's transaction.

Unchanged rows are left alone; a changed question gets a new version; anything that left the
package is retired, never deleted (only a change note taken out of a module.yaml is removed, as its
author withdrew it). The caller commits (or rolls back for a dry run), so a
package is applied whole or not at all.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from course.models import Lesson, LessonText, Module, ModuleChange, Objective, Question, QuestionVersion, Quiz, Setting
from course.package.model import Package, content_hash, short_hash
from course.services.catalog import CATALOG_STAMP, stamp_changed

#: The lines of ``SyncSummary.lines()``, as whole sentences for the translators: bucket -> kind -> text.
_LINES = {
    "added": {
        "course": _l("added %(num)s course: %(keys)s"),
        "modules": _l("added %(num)s modules: %(keys)s"),
        "objectives": _l("added %(num)s objectives: %(keys)s"),
        "lessons": _l("added %(num)s lessons: %(keys)s"),
        "quizzes": _l("added %(num)s quizzes: %(keys)s"),
        "questions": _l("added %(num)s questions: %(keys)s"),
        "changes": _l("added %(num)s change notes: %(keys)s"),
    },
    "changed": {
        "course": _l("changed %(num)s course: %(keys)s"),
        "modules": _l("changed %(num)s modules: %(keys)s"),
        "objectives": _l("changed %(num)s objectives: %(keys)s"),
        "lessons": _l("changed %(num)s lessons: %(keys)s"),
        "quizzes": _l("changed %(num)s quizzes: %(keys)s"),
        "questions": _l("changed %(num)s questions: %(keys)s"),
        "changes": _l("changed %(num)s change notes: %(keys)s"),
    },
    "retired": {
        "modules": _l("retired %(num)s modules: %(keys)s"),
        "objectives": _l("retired %(num)s objectives: %(keys)s"),
        "lessons": _l("retired %(num)s lessons: %(keys)s"),
        "quizzes": _l("retired %(num)s quizzes: %(keys)s"),
        "questions": _l("retired %(num)s questions: %(keys)s"),
        "changes": _l("withdrew %(num)s change notes: %(keys)s"),
    },
}
_UNCHANGED = {
    "modules": _l("%(num)s modules"),
    "objectives": _l("%(num)s objectives"),
    "lessons": _l("%(num)s lessons"),
    "quizzes": _l("%(num)s quizzes"),
    "questions": _l("%(num)s questions"),
}


class PackageRejected(Exception):
    def __init__(self, problems):
        super().__init__(f"the package has {len(problems)} error(s)")
        self.problems = problems


@dataclass
class SyncSummary:
    added: dict[str, list[str]] = field(default_factory=dict)
    changed: dict[str, list[str]] = field(default_factory=dict)
    retired: dict[str, list[str]] = field(default_factory=dict)
    unchanged: dict[str, int] = field(default_factory=dict)

    def note(self, bucket: str, kind: str, key: str) -> None:
        getattr(self, bucket).setdefault(kind, []).append(key)

    def same(self, kind: str) -> None:
        self.unchanged[kind] = self.unchanged.get(kind, 0) + 1

    @property
    def has_changes(self) -> bool:
        return bool(self.added or self.changed or self.retired)

    def lines(self) -> list[str]:
        """What changed, one line per kind, in the current language (English outside a request)."""
        out = []
        for bucket in ("added", "changed", "retired"):
            for kind, keys in sorted(getattr(self, bucket).items()):
                shown = ", ".join(keys[:12]) + (" …" if len(keys) > 12 else "")
                text = _LINES[bucket].get(kind)
                out.append(str(text) % {"num": len(keys), "keys": shown} if text
                           else f"{bucket} {len(keys)} {kind}: {shown}")
        kept = ", ".join(str(_UNCHANGED[kind]) % {"num": n} if kind in _UNCHANGED else f"{n} {kind}"
                         for kind, n in sorted(self.unchanged.items()))
        out.append(str(_l("unchanged: %(kept)s", kept=kept or _l("nothing"))))
        return out


def apply_package(session: Session, package: Package, progress=None, *, now: datetime) -> SyncSummary:
    """Publish ``package``; ``now`` dates the change notes it publishes for the first time."""
    if package.errors:
        raise PackageRejected(package.errors)
    summary = SyncSummary()
    step = progress or (lambda _label: None)
    modules = {m.key: m for m in session.scalars(select(Module).options(
        selectinload(Module.objectives), selectinload(Module.lessons).selectinload(Lesson.texts)))}
    objectives = {o.key: o for o in session.scalars(select(Objective))}
    lessons = {lesson.key: lesson for m in modules.values() for lesson in m.lessons}
    seen_modules, seen_objectives, seen_lessons = set(), set(), set()

    # Free the slugs of modules that are about to be retired or renamed, so unique slugs hold.
    incoming_slugs = {m.slug: m.key for m in package.modules}
    for module in modules.values():
        if module.slug in incoming_slugs and incoming_slugs[module.slug] != module.key:
            module.slug = f"{module.slug}--retired-{module.id}"
    session.flush()

    for data in package.modules:
        step(f"module {data.key}")
        seen_modules.add(data.key)
        meta = {"slug": data.slug, "position": data.position, "title": data.title, "summary": data.summary,
                "minutes": data.minutes, "required": data.required, "completion": data.completion,
                "references": data.references}
        digest = content_hash(meta)
        module = modules.get(data.key)
        if module is None:
            module = Module(key=data.key, content_hash=digest, **meta)
            session.add(module)
            modules[data.key] = module
            summary.note("added", "modules", data.key)
        elif module.content_hash != digest or module.retired:
            for name, value in meta.items():
                setattr(module, name, value)
            module.content_hash, module.retired = digest, False
            summary.note("changed", "modules", data.key)
        else:
            summary.same("modules")
        session.flush()
        for position, (key, text) in enumerate(data.objectives, start=1):
            seen_objectives.add(key)
            objective = objectives.get(key)
            if objective is None:
                session.add(Objective(key=key, module_id=module.id, position=position, text=text))
                summary.note("added", "objectives", key)
            elif (objective.text, objective.position, objective.module_id, objective.retired) != (
                    text, position, module.id, False):
                objective.text, objective.position, objective.module_id = text, position, module.id
                objective.retired = False
                summary.note("changed", "objectives", key)
            else:
                summary.same("objectives")
        _sync_changes(session, module, data, summary, now)
        for lesson_data in data.lessons:
            seen_lessons.add(lesson_data.key)
            texts = {lang: (body, short_hash(body), source) for lang, (body, source) in lesson_data.texts.items()}
            digest = content_hash({"module": data.key, "position": lesson_data.position, "title": lesson_data.title,
                                   "minutes": lesson_data.minutes,
                                   "texts": {lang: [h, s] for lang, (_, h, s) in texts.items()}})
            lesson = lessons.get(lesson_data.key)
            if lesson is None:
                lesson = Lesson(key=lesson_data.key, module_id=module.id, position=lesson_data.position,
                                title=lesson_data.title, minutes=lesson_data.minutes, content_hash=digest)
                session.add(lesson)
                lessons[lesson.key] = lesson
                summary.note("added", "lessons", lesson_data.key)
            elif lesson.content_hash != digest or lesson.retired:
                lesson.module_id, lesson.position = module.id, lesson_data.position
                lesson.title, lesson.minutes = lesson_data.title, lesson_data.minutes
                lesson.content_hash, lesson.retired = digest, False
                summary.note("changed", "lessons", lesson_data.key)
            else:
                summary.same("lessons")
                continue
            session.flush()
            existing = {t.language: t for t in lesson.texts}
            for lang, (body, _body_hash, source) in texts.items():
                row = existing.get(lang)
                full_hash = content_hash(body)
                if row is None:
                    session.add(LessonText(lesson_id=lesson.id, language=lang, body=body, body_hash=full_hash,
                                           source_hash=source))
                elif row.body_hash != full_hash or row.source_hash != source:
                    row.body, row.body_hash, row.source_hash = body, full_hash, source
            for lang, row in existing.items():
                if lang not in texts:
                    session.delete(row)  # a withdrawn translation: the English text is served instead

    for key, module in modules.items():
        if key not in seen_modules and not module.retired:
            module.retired = True
            summary.note("retired", "modules", key)
    for key, objective in objectives.items():
        if key not in seen_objectives and not objective.retired:
            objective.retired = True
            summary.note("retired", "objectives", key)
    for key, lesson in lessons.items():
        if key not in seen_lessons and not lesson.retired:
            lesson.retired = True
            summary.note("retired", "lessons", key)
    session.flush()
    _sync_quizzes(session, package, modules, summary, step)
    _sync_course(session, package, summary)
    if summary.has_changes or session.get(Setting, CATALOG_STAMP) is None:
        stamp_changed(session)  # every process reloads its copy of the course on its next request
    session.flush()
    return summary


def _sync_changes(session: Session, module: Module, data, summary: SyncSummary, now: datetime) -> None:
    """A change note keeps the date it was first published; its text may be corrected later. A note
    taken out of module.yaml is withdrawn."""
    existing = {c.key: c for c in session.scalars(select(ModuleChange).where(ModuleChange.module_id == module.id))}
    for key, note in data.changes:
        change = existing.pop(key, None)
        if change is None:
            session.add(ModuleChange(module_id=module.id, key=key, note=note, published_at=now))
            summary.note("added", "changes", f"{data.key}/{key}")
        elif change.note != note:
            change.note = note
            summary.note("changed", "changes", f"{data.key}/{key}")
    for change in existing.values():
        session.delete(change)
        summary.note("retired", "changes", f"{data.key}/{change.key}")


#: The ``settings`` row that holds course.yaml (see ``course.services.certificates.course_settings``).
COURSE_SETTING = "course"


def _sync_course(session: Session, package: Package, summary: SyncSummary) -> None:
    """Store course.yaml as JSON; a package without one leaves the stored settings as they are."""
    if package.course is None:
        return
    value = {"id": package.course.key, "title": package.course.title, "institute": package.course.institute,
             "certificate": package.course.certificate}
    setting = session.get(Setting, COURSE_SETTING)
    if setting is None:
        session.add(Setting(key=COURSE_SETTING, value=value))
        summary.note("added", "course", package.course.key)
    elif setting.value != value:
        setting.value = value
        summary.note("changed", "course", package.course.key)


def _sync_quizzes(session: Session, package: Package, modules: dict, summary: SyncSummary, step) -> None:
    quizzes = {q.key: q for q in session.scalars(select(Quiz))}
    questions = {q.key: q for q in session.scalars(
        select(Question).options(selectinload(Question.current_version)))}
    seen_quizzes, seen_questions = set(), set()
    for data in package.quizzes:
        step(f"quiz {data.key}")
        seen_quizzes.add(data.key)
        module_id = modules[data.module_key].id if data.module_key else None
        meta = {"module_id": module_id, "kind": data.kind, "title": data.title, "settings": data.settings}
        digest = content_hash({**meta, "module_id": data.module_key})
        quiz = quizzes.get(data.key)
        if quiz is None:
            quiz = Quiz(key=data.key, content_hash=digest, **meta)
            session.add(quiz)
            session.flush()
            summary.note("added", "quizzes", data.key)
        elif quiz.content_hash != digest or quiz.retired:
            for name, value in meta.items():
                setattr(quiz, name, value)
            quiz.content_hash, quiz.retired = digest, False
            summary.note("changed", "quizzes", data.key)
        else:
            summary.same("quizzes")
        for position, question_data in enumerate(data.questions, start=1):
            seen_questions.add(question_data.key)
            _sync_question(session, questions, question_data, summary, quiz_id=quiz.id, bank=None, position=position)
    for bank in package.banks:
        step(f"bank {bank.key}")
        for position, question_data in enumerate(bank.questions, start=1):
            seen_questions.add(question_data.key)
            _sync_question(session, questions, question_data, summary, quiz_id=None, bank=bank.key, position=position)
    for key, quiz in quizzes.items():
        if key not in seen_quizzes and not quiz.retired:
            quiz.retired = True
            summary.note("retired", "quizzes", key)
    for key, question in questions.items():
        if key not in seen_questions and not question.retired:
            question.retired = True
            summary.note("retired", "questions", key)


def _sync_question(session: Session, questions: dict[str, Question], data, summary: SyncSummary, *,
                   quiz_id: int | None, bank: str | None, position: int) -> None:
    """Publish one question into its quiz or its bank. A question moved between the two keeps its row,
    so the attempts that hold it (and what each officer has been given of a bank) keep their meaning."""
    digest = content_hash(data.definition)
    question = questions.get(data.key)
    if question is None:
        question = Question(key=data.key, quiz_id=quiz_id, bank=bank, position=position)
        session.add(question)
        session.flush()
        version = QuestionVersion(question_id=question.id, number=1, type=data.definition["type"],
                                  definition=data.definition, content_hash=digest)
        session.add(version)
        session.flush()
        question.current_version_id = version.id
        questions[data.key] = question
        summary.note("added", "questions", data.key)
        return
    moved = (question.quiz_id, question.bank, question.position, question.retired) != (quiz_id, bank, position, False)
    question.quiz_id, question.bank, question.position, question.retired = quiz_id, bank, position, False
    current = question.current_version
    if current is None or current.content_hash != digest:
        number = (current.number if current else 0) + 1
        version = QuestionVersion(question_id=question.id, number=number, type=data.definition["type"],
                                  definition=data.definition, content_hash=digest)
        session.add(version)
        session.flush()
        question.current_version_id = version.id
        summary.note("changed", "questions", data.key)
    elif moved:
        summary.note("changed", "questions", data.key)
    else:
        summary.same("questions")
