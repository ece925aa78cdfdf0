"""What a course package is read into, the rules its ids and files follow, and the hashes that say
whether a question or a lesson changed (``sync`` versions by them, translations name them)."""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")
OBJECTIVE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
MODULE_DIR_RE = re.compile(r"^(\d+)-([a-z0-9][a-z0-9-]*)$")
LESSON_FILE_RE = re.compile(r"^(\d+)-([a-z0-9][a-z0-9-]*)\.([a-z]{2})\.md$")
LANGUAGES = ("en", "ar")
COURSE_KINDS = ("pre-test", "post-test")
#: The folders a course package is read from (with course.yaml): an upload keeps these and nothing else.
PACKAGE_FOLDERS = ("modules", "quizzes", "banks")


@dataclass(frozen=True)
class Problem:
    file: str
    line: int
    field: str
    message: str
    level: str = "error"  # or "warning"

    def __str__(self) -> str:
        prefix = "" if self.level == "error" else "warning: "
        return f"{self.file}:{self.line}: {self.field}: {prefix}{self.message}"


@dataclass
class LessonData:
    key: str
    position: int
    title: dict
    minutes: int
    #: language -> (body, source_hash of the English body it translates, or None)
    texts: dict[str, tuple[str, str | None]]


@dataclass
class ModuleData:
    key: str
    slug: str
    position: int
    title: dict
    summary: dict
    minutes: int
    required: bool
    completion: dict
    references: list
    objectives: list[tuple[str, dict]]
    lessons: list[LessonData] = field(default_factory=list)
    #: Notes on material corrections, oldest first: (id, {language: text}).
    changes: list[tuple[str, dict]] = field(default_factory=list)


@dataclass
class QuestionData:
    key: str
    definition: dict


@dataclass
class QuizData:
    key: str
    module_key: str | None
    kind: str
    title: dict
    settings: dict
    pairs_with: str | None
    questions: list[QuestionData] = field(default_factory=list)
    path: Path | None = None
    #: pool -> the line of its ``draw`` entry (for problems found once every quiz is read)
    draw_lines: dict[str, int] = field(default_factory=dict)


@dataclass
class BankData:
    """A question bank, ``banks/<id>.yaml``: questions that several quizzes draw from. Every question
    names its pool (an objective, or a slot of parallel items); a quiz that names the bank says how
    many of each pool an attempt takes, and an officer is not given an item of the bank again while
    the pool has items they have not been given (``course.services.attempts``)."""

    key: str
    path: Path
    questions: list[QuestionData] = field(default_factory=list)

    def pool_sizes(self) -> dict[str, int]:
        sizes: dict[str, int] = {}
        for question in self.questions:
            sizes[question.definition["pool"]] = sizes.get(question.definition["pool"], 0) + 1
        return sizes


@dataclass
class CourseData:
    """The optional course.yaml: the course's id and title, the issuing institute, certificate rules."""

    key: str
    title: dict
    institute: dict
    #: {"validity_months": int or None (no expiry), "per_module": bool}
    certificate: dict


class HasProblems:
    """``errors`` and ``warnings`` of a ``problems`` list (a read course package, an import)."""

    problems: list[Problem]

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.level == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.level == "warning"]


@dataclass
class Package(HasProblems):
    root: Path
    modules: list[ModuleData] = field(default_factory=list)
    quizzes: list[QuizData] = field(default_factory=list)
    banks: list[BankData] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    #: None when the package has no course.yaml.
    course: CourseData | None = None

    def questions_of(self, quiz: QuizData) -> list[QuestionData]:
        """Every question an attempt at ``quiz`` may hold: its own, then those of its bank."""
        bank = next((b for b in self.banks if b.key == quiz.settings.get("bank")), None)
        return quiz.questions + (bank.questions if bank else [])


def short_hash(text: str) -> str:
    return hashlib.sha256(text.strip().encode()).hexdigest()[:12]


def content_hash(value) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def english_only(value):
    """The English texts of a definition: what a translation is made from."""
    if isinstance(value, dict):
        if value and set(value) <= set(LANGUAGES):
            return value.get("en")
        return {k: english_only(v) for k, v in value.items()}
    if isinstance(value, list):
        return [english_only(v) for v in value]
    return value


def question_source_hash(definition: dict) -> str:
    keep = {k: v for k, v in definition.items() if k not in ("points", "objectives", "group", "judgement", "pool")}
    return content_hash(english_only(keep))[:12]
