"""What is authored: modules, objectives, lessons, quizzes and versioned questions.

Rows are synced from the course package by ``course.package.sync``. Nothing here is ever
deleted: an item that leaves the package is marked ``retired``, so progress and attempts that
point at it keep their meaning. A question whose text or key changes gets a new
``QuestionVersion``; attempts keep pointing at the version the officer saw.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Integer, String, Text, UniqueConstraint, or_
from sqlalchemy.orm import Mapped, mapped_column, relationship

from course.db import Base
from course.models._types import UTCDateTime, utcnow


def text_in(value, lang: str) -> str:
    """The text of an i18n value in ``lang``, falling back to English."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return value.get(lang) or value.get("en") or ""


class Module(Base):
    __tablename__ = "modules"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(80), unique=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    position: Mapped[int] = mapped_column(Integer)
    title: Mapped[dict] = mapped_column(JSON)
    summary: Mapped[dict] = mapped_column(JSON)
    minutes: Mapped[int] = mapped_column(Integer, default=0)
    required: Mapped[bool] = mapped_column(default=True)
    #: {"lessons": "all"|"none", "quiz": "pass"|"attempt"|"none"}
    completion: Mapped[dict] = mapped_column(JSON)
    references: Mapped[list] = mapped_column(JSON, default=list)
    retired: Mapped[bool] = mapped_column(default=False)
    content_hash: Mapped[str] = mapped_column(String(64))

    objectives: Mapped[list[Objective]] = relationship(
        back_populates="module", order_by="Objective.position")
    lessons: Mapped[list[Lesson]] = relationship(back_populates="module", order_by="Lesson.position")

    def title_in(self, lang: str) -> str:
        return text_in(self.title, lang)

    def summary_in(self, lang: str) -> str:
        return text_in(self.summary, lang)

    @property
    def active_lessons(self) -> list[Lesson]:
        return [lesson for lesson in self.lessons if not lesson.retired]


class ModuleChange(Base):
    """A material correction to a module, as its ``changes:`` note in module.yaml says, and when it
    was first published: officers who completed the module before then are told what changed."""

    __tablename__ = "module_changes"
    __table_args__ = (UniqueConstraint("module_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    module_id: Mapped[int] = mapped_column(ForeignKey("modules.id"), index=True)
    key: Mapped[str] = mapped_column(String(80))
    note: Mapped[dict] = mapped_column(JSON)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Objective(Base):
    __tablename__ = "objectives"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(40), unique=True)
    module_id: Mapped[int] = mapped_column(ForeignKey("modules.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    text: Mapped[dict] = mapped_column(JSON)
    retired: Mapped[bool] = mapped_column(default=False)

    module: Mapped[Module] = relationship(back_populates="objectives")

    def text_in(self, lang: str) -> str:
        return text_in(self.text, lang)


class Lesson(Base):
    __tablename__ = "lessons"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(80), unique=True)
    module_id: Mapped[int] = mapped_column(ForeignKey("modules.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    title: Mapped[dict] = mapped_column(JSON)
    minutes: Mapped[int] = mapped_column(Integer, default=0)
    retired: Mapped[bool] = mapped_column(default=False)
    content_hash: Mapped[str] = mapped_column(String(64))

    module: Mapped[Module] = relationship(back_populates="lessons")
    texts: Mapped[list[LessonText]] = relationship(back_populates="lesson")

    def title_in(self, lang: str) -> str:
        return text_in(self.title, lang)

    def text_for(self, lang: str) -> LessonText | None:
        by_lang = {t.language: t for t in self.texts}
        return by_lang.get(lang) or by_lang.get("en")


class LessonText(Base):
    """A lesson's Markdown body in one language."""

    __tablename__ = "lesson_texts"
    __table_args__ = (UniqueConstraint("lesson_id", "language"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    lesson_id: Mapped[int] = mapped_column(ForeignKey("lessons.id"), index=True)
    language: Mapped[str] = mapped_column(String(8))
    body: Mapped[str] = mapped_column(Text)
    #: SHA-256 of the body: the cache key of its rendered HTML and the page's ETag.
    body_hash: Mapped[str] = mapped_column(String(64))
    #: For a translation, the hash of the English body it was translated from.
    source_hash: Mapped[str | None] = mapped_column(String(64))

    lesson: Mapped[Lesson] = relationship(back_populates="texts")


class Quiz(Base):
    __tablename__ = "quizzes"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(80), unique=True)
    #: The module a module quiz belongs to; NULL for course-level tests.
    module_id: Mapped[int | None] = mapped_column(ForeignKey("modules.id"), index=True)
    #: "module", "pre-test" or "post-test".
    kind: Mapped[str] = mapped_column(String(20), default="module")
    title: Mapped[dict] = mapped_column(JSON)
    #: Resolved settings (preset plus overrides); see ``course.quizsettings``.
    settings: Mapped[dict] = mapped_column(JSON)
    retired: Mapped[bool] = mapped_column(default=False)
    content_hash: Mapped[str] = mapped_column(String(64))

    module: Mapped[Module | None] = relationship()
    questions: Mapped[list[Question]] = relationship(back_populates="quiz", order_by="Question.position")

    def title_in(self, lang: str) -> str:
        return text_in(self.title, lang)

    @property
    def active_questions(self) -> list[Question]:
        return [q for q in self.questions if not q.retired]

    @property
    def bank(self) -> str | None:
        """The question bank this quiz draws from, if any."""
        return self.settings.get("bank")


def questions_of(quiz: Quiz):
    """The condition on ``Question`` that selects what an attempt at ``quiz`` may hold: the quiz's
    own questions and those of the bank it draws from (``questions.bank``)."""
    if quiz.bank:
        return or_(Question.quiz_id == quiz.id, Question.bank == quiz.bank)
    return Question.quiz_id == quiz.id


class Question(Base):
    """A question of one quiz, or of a question bank (``banks/<id>.yaml``) that several quizzes draw
    from: the same row, so an officer's earlier papers tell which bank items they have seen."""

    __tablename__ = "questions"
    __table_args__ = (CheckConstraint("(quiz_id IS NULL) <> (bank IS NULL)", name="quiz_or_bank"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(80), unique=True)
    #: The quiz the question belongs to; NULL for a question of a bank.
    quiz_id: Mapped[int | None] = mapped_column(ForeignKey("quizzes.id"), index=True)
    #: The id of the bank the question belongs to; quizzes name it in their settings (``bank``).
    bank: Mapped[str | None] = mapped_column(String(80), index=True)
    #: The position in its quiz file or bank file.
    position: Mapped[int] = mapped_column(Integer)
    retired: Mapped[bool] = mapped_column(default=False)
    current_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("question_versions.id", use_alter=True, name="fk_questions_current_version"))

    quiz: Mapped[Quiz | None] = relationship(back_populates="questions")
    versions: Mapped[list[QuestionVersion]] = relationship(
        back_populates="question", foreign_keys="QuestionVersion.question_id",
        order_by="QuestionVersion.number")
    current_version: Mapped[QuestionVersion | None] = relationship(foreign_keys=[current_version_id],
                                                                   post_update=True)


class QuestionVersion(Base):
    """One immutable revision of a question: its type, texts and answer key."""

    __tablename__ = "question_versions"
    __table_args__ = (UniqueConstraint("question_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    type: Mapped[str] = mapped_column(String(20))
    #: The normalised definition: texts by language, options, answer key, feedback, objectives.
    definition: Mapped[dict] = mapped_column(JSON)
    content_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    question: Mapped[Question] = relationship(back_populates="versions", foreign_keys=[question_id])

    @property
    def points(self) -> float:
        return float(self.definition.get("points", 1))
