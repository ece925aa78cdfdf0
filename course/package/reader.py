"""Read a course package from disk and report every problem with its file, line and field.

``read_package(root)`` never raises on bad content: it returns what it could read plus a list
of ``Problem``s. A package with any error must not be published (``sync`` refuses it).
"""
from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from course.package.yamlio import LineDict, YamlError, load_yaml, shift_lines
from course.questions import REGISTRY, i18n
from course.quizsettings import resolve

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


@dataclass
class Package:
    root: Path
    modules: list[ModuleData] = field(default_factory=list)
    quizzes: list[QuizData] = field(default_factory=list)
    banks: list[BankData] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    #: None when the package has no course.yaml.
    course: CourseData | None = None

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.level == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.level == "warning"]

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


class _Reporter:
    def __init__(self, package: Package, root: Path):
        self.package = package
        self.root = root

    def __call__(self, path: Path, line: int, field_name: str, message: str, level: str = "error"):
        try:
            rel = str(path.relative_to(self.root))
        except ValueError:
            rel = str(path)
        self.package.problems.append(Problem(rel, line, field_name, message, level))


def _read_yaml_file(path: Path, report: _Reporter):
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        report(path, 1, "file", "is not UTF-8 text")
        return None
    try:
        data = load_yaml(text)
    except YamlError as exc:
        report(path, exc.line, "yaml", exc.message)
        return None
    if data is None:
        report(path, 1, "file", "is empty")
    return data


def _text_field(data: LineDict, key: str, path: Path, report: _Reporter, required: bool = True):
    value = data.get(key)
    if value is None:
        if required:
            report(path, data.line, key, "is required")
        return None
    if isinstance(value, dict):
        unknown = set(value) - set(LANGUAGES)
        if unknown:
            report(path, data.line_of(key), key, f"unknown language(s): {', '.join(map(str, unknown))}")
        if not value.get("en"):
            report(path, data.line_of(key), key, "needs an English text (en)")
            return None
    elif not isinstance(value, (str, int, float)) or not str(value).strip():
        report(path, data.line_of(key), key, "must be a text or a mapping of languages")
        return None
    return i18n(value)


def _int_field(data: LineDict, key: str, path: Path, report: _Reporter, default=None, minimum=0):
    value = data.get(key, default)
    if value is None:
        report(path, data.line, key, "is required")
        return minimum
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        report(path, data.line_of(key), key, f"must be a whole number of at least {minimum}")
        return minimum
    return value


def _id_field(data: LineDict, key: str, path: Path, report: _Reporter, pattern=ID_RE) -> str | None:
    value = data.get(key)
    if not isinstance(value, str) or not pattern.match(value):
        report(path, data.line_of(key), key,
               "is required" if value is None else f"{value!r} is not a valid id (lowercase letters, digits, hyphens)")
        return None
    return value


def read_package(root: str | Path) -> Package:
    root = Path(root)
    package = Package(root=root)
    report = _Reporter(package, root)
    modules_dir, quizzes_dir = root / "modules", root / "quizzes"
    if not modules_dir.is_dir():
        report(modules_dir, 1, "modules", "folder not found")
        return package
    seen_ids: dict[str, str] = {}

    def claim(kind: str, key: str, path: Path, line: int, field_name: str = "id") -> bool:
        where = f"{path.relative_to(root) if path.is_relative_to(root) else path}:{line}"
        if key in seen_ids:
            report(path, line, field_name, f"duplicate {kind} id {key!r} (first used at {seen_ids[key]})")
            return False
        seen_ids[key] = where
        return True

    for module_dir in sorted(p for p in modules_dir.iterdir() if p.is_dir()):
        module = _read_module(module_dir, report, claim)
        if module:
            package.modules.append(module)
    positions = [m.position for m in package.modules]
    for module in package.modules:
        if positions.count(module.position) > 1:
            report(modules_dir / module.slug, 1, "order", f"order {module.position} is used by more than one module")

    objectives = {key: module.key for module in package.modules for key, _ in module.objectives}
    modules_by_key = {m.key: m for m in package.modules}
    banks_dir = root / "banks"
    if banks_dir.is_dir():
        for bank_path in sorted(banks_dir.glob("*.yaml")):
            if bank_path.name.count(".") > 1:
                continue  # a language overlay, read with its bank
            bank = _read_bank(bank_path, report, claim, objectives)
            if bank:
                package.banks.append(bank)
        for overlay in sorted(banks_dir.glob("*.*.yaml")):
            base = overlay.name.split(".")[0]
            if not (banks_dir / f"{base}.yaml").exists():
                report(overlay, 1, "file", f"translation overlay without a bank file {base}.yaml")
    banks = {b.key: b for b in package.banks}
    if quizzes_dir.is_dir():
        for quiz_path in sorted(quizzes_dir.glob("*.yaml")):
            if quiz_path.name.count(".") > 1:
                continue  # a language overlay, read with its quiz
            quiz = _read_quiz(quiz_path, report, claim, objectives, modules_by_key, banks)
            if quiz:
                package.quizzes.append(quiz)
        for overlay in sorted(quizzes_dir.glob("*.*.yaml")):
            base = overlay.name.split(".")[0]
            if not (quizzes_dir / f"{base}.yaml").exists():
                report(overlay, 1, "file", f"translation overlay without a quiz file {base}.yaml")
    _check_course(package, report, root)
    _check_banks(package, report, root)
    if (root / "course.yaml").exists():
        package.course = _read_course_file(root / "course.yaml", report)
    return package


def _read_course_file(path: Path, report: _Reporter) -> CourseData | None:
    data = _read_yaml_file(path, report)
    if data is None:
        return None
    if not isinstance(data, LineDict):
        report(path, 1, "course", "must be a mapping of fields")
        return None
    known = ("id", "title", "institute", "certificate")
    for unknown in [k for k in data if k not in known]:
        report(path, data.line_of(unknown), str(unknown), f"unknown field; use {', '.join(known)}", "warning")
    key = _id_field(data, "id", path, report)
    title = _text_field(data, "title", path, report)
    institute = _text_field(data, "institute", path, report)
    certificate = {"validity_months": None, "per_module": False}
    raw = data.get("certificate")
    if raw is not None and not isinstance(raw, LineDict):
        report(path, data.line_of("certificate"), "certificate", "must be a mapping (validity_months, per_module)")
    elif raw is not None:
        for unknown in [k for k in raw if k not in certificate]:
            report(path, raw.line_of(unknown), f"certificate.{unknown}",
                   "unknown field; use validity_months, per_module")
        months = raw.get("validity_months")
        if months is not None and (not isinstance(months, int) or isinstance(months, bool) or not 1 <= months <= 600):
            report(path, raw.line_of("validity_months"), "certificate.validity_months",
                   "must be a whole number of months (1 to 600), or null for certificates that do not expire")
        else:
            certificate["validity_months"] = months
        per_module = raw.get("per_module", False)
        if not isinstance(per_module, bool):
            report(path, raw.line_of("per_module"), "certificate.per_module", "must be true or false")
        else:
            certificate["per_module"] = per_module
    if not (key and title and institute):
        return None
    return CourseData(key=key, title=title, institute=institute, certificate=certificate)


def _read_changes(data: LineDict, path: Path, report: _Reporter) -> list[tuple[str, dict]]:
    """``changes:``: one note per material correction, ``{id, note: {en, ar}}``. Officers who
    completed the module before a note was first published see it on their dashboard."""
    raw = data.get("changes")
    if raw is None:
        return []
    if not isinstance(raw, list):
        report(path, data.line_of("changes"), "changes", "must be a list of {id, note}")
        return []
    changes, seen = [], set()
    for index, entry in enumerate(raw, start=1):
        if not isinstance(entry, LineDict):
            report(path, data.line_of("changes"), f"changes[{index}]", "must be a mapping with id and note")
            continue
        for unknown in [k for k in entry if k not in ("id", "note")]:
            report(path, entry.line_of(unknown), f"changes[{index}].{unknown}", "unknown field; use id, note")
        change_key = _id_field(entry, "id", path, report)
        note = _text_field(entry, "note", path, report)
        if change_key in seen:
            report(path, entry.line_of("id"), "id", f"duplicate change id {change_key!r} in this module")
            continue
        if change_key and note:
            seen.add(change_key)
            if len(note.get("en", "")) > 600:
                report(path, entry.line_of("note"), f"changes[{index}].note", "keep a change note under 600 characters")
            for lang in LANGUAGES:
                if lang != "en" and not note.get(lang):
                    report(path, entry.line_of("note"), f"changes[{index}].note",
                           f"no {lang} text: officers reading in {lang} see the English note", "warning")
            changes.append((change_key, note))
    return changes


def _read_module(module_dir: Path, report: _Reporter, claim) -> ModuleData | None:
    match = MODULE_DIR_RE.match(module_dir.name)
    if not match:
        report(module_dir, 1, "folder", "module folders are named NN-slug, e.g. 01-terminology")
        return None
    meta_path = module_dir / "module.yaml"
    if not meta_path.exists():
        report(meta_path, 1, "file", "module.yaml is missing")
        return None
    data = _read_yaml_file(meta_path, report)
    if data is None:
        return None
    if not isinstance(data, LineDict):
        report(meta_path, 1, "module", "must be a mapping of fields")
        return None
    key = _id_field(data, "id", meta_path, report)
    if key and not claim("module", key, meta_path, data.line_of("id")):
        key = None
    title = _text_field(data, "title", meta_path, report)
    summary = _text_field(data, "summary", meta_path, report) or {"en": ""}
    position = _int_field(data, "order", meta_path, report, minimum=1)
    minutes = _int_field(data, "minutes", meta_path, report, default=0)
    required = data.get("required", True)
    if not isinstance(required, bool):
        report(meta_path, data.line_of("required"), "required", "must be true or false")
        required = True
    completion = {"lessons": "all", "quiz": "pass"}
    raw_completion = data.get("completion") or {}
    if not isinstance(raw_completion, dict):
        report(meta_path, data.line_of("completion"), "completion", "must be a mapping")
    else:
        for field_name, allowed in (("lessons", ("all", "none")), ("quiz", ("pass", "attempt", "none"))):
            if field_name in raw_completion:
                if raw_completion[field_name] not in allowed:
                    report(meta_path, raw_completion.line_of(field_name), f"completion.{field_name}",
                           f"must be one of {', '.join(allowed)}")
                else:
                    completion[field_name] = raw_completion[field_name]
    references = data.get("references") or []
    if not isinstance(references, list):
        report(meta_path, data.line_of("references"), "references", "must be a list of texts")
        references = []
    objectives: list[tuple[str, dict]] = []
    raw_objectives = data.get("objectives")
    if not isinstance(raw_objectives, list) or not raw_objectives:
        report(meta_path, data.line_of("objectives"), "objectives", "needs a list of learning objectives")
    else:
        for index, objective in enumerate(raw_objectives, start=1):
            if not isinstance(objective, LineDict):
                report(meta_path, data.line_of("objectives"), f"objectives[{index}]", "must be a mapping with id and text")
                continue
            objective_key = _id_field(objective, "id", meta_path, report, pattern=OBJECTIVE_RE)
            text = _text_field(objective, "text", meta_path, report)
            if objective_key and claim("objective", objective_key, meta_path, objective.line_of("id")) and text:
                objectives.append((objective_key, text))
    changes = _read_changes(data, meta_path, report)
    if not (key and title):
        return None
    module = ModuleData(key=key, slug=match.group(2), position=position, title=title, summary=summary,
                        minutes=minutes, required=required, completion=completion,
                        references=[str(r) for r in references], objectives=objectives, changes=changes)
    module.lessons = _read_lessons(module_dir, report, claim)
    if not module.lessons:
        report(meta_path, 1, "lessons", "the module has no lesson files (NN-slug.en.md)")
    return module


def _split_front_matter(path: Path, report: _Reporter):
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        report(path, 1, "file", "is not UTF-8 text")
        return None, None
    text = text.lstrip("\ufeff")
    lines = text.split("\n")
    if not lines or lines[0].strip() != "---":
        report(path, 1, "front matter", "a lesson starts with a '---' line, its YAML front matter, and another '---'")
        return None, None
    try:
        end = next(i for i in range(1, len(lines)) if lines[i].strip() == "---")
    except StopIteration:
        report(path, 1, "front matter", "the closing '---' line is missing")
        return None, None
    try:
        meta = load_yaml("\n".join(lines[1:end]), first_line=2)
    except YamlError as exc:
        report(path, exc.line, "front matter", exc.message)
        return None, None
    if not isinstance(meta, LineDict):
        report(path, 2, "front matter", "must be a mapping (id, title, minutes)")
        return None, None
    shift_lines(meta, 1)
    body = "\n".join(lines[end + 1:]).strip()
    return meta, body


def _read_lessons(module_dir: Path, report: _Reporter, claim) -> list[LessonData]:
    by_base: dict[tuple[int, str], dict[str, tuple[Path, LineDict, str]]] = {}
    for path in sorted(module_dir.iterdir()):
        if path.name == "module.yaml" or path.is_dir():
            continue
        match = LESSON_FILE_RE.match(path.name)
        if not match:
            if path.suffix == ".md":
                report(path, 1, "file", "lesson files are named NN-slug.LANG.md, e.g. 01-intro.en.md")
            continue
        number, slug, lang = int(match.group(1)), match.group(2), match.group(3)
        if lang not in LANGUAGES:
            report(path, 1, "file", f"unsupported language {lang!r}; use one of {', '.join(LANGUAGES)}")
            continue
        meta, body = _split_front_matter(path, report)
        if meta is None:
            continue
        if not body:
            report(path, meta.line, "body", "the lesson has no text")
            continue
        by_base.setdefault((number, slug), {})[lang] = (path, meta, body)

    lessons = []
    for (number, slug), versions in sorted(by_base.items()):
        if "en" not in versions:
            path = next(iter(versions.values()))[0]
            report(path, 1, "file", f"missing English lesson {number:02d}-{slug}.en.md (English is required)")
            continue
        en_path, en_meta, en_body = versions["en"]
        key = _id_field(en_meta, "id", en_path, report)
        title = {"en": ""}
        title_en = _text_field(en_meta, "title", en_path, report)
        if title_en:
            title = dict(title_en)
        minutes = _int_field(en_meta, "minutes", en_path, report, default=0)
        if key and not claim("lesson", key, en_path, en_meta.line_of("id")):
            key = None
        texts = {"en": (en_body, None)}
        en_hash = short_hash(en_body)
        for lang, (path, meta, body) in versions.items():
            if lang == "en":
                continue
            if meta.get("id") != key:
                report(path, meta.line_of("id"), "id", f"must be the English lesson's id {key!r}")
            translated_title = meta.get("title")
            if isinstance(translated_title, str) and translated_title.strip():
                title[lang] = translated_title.strip()
            else:
                report(path, meta.line_of("title"), "title", "is required")
            source = meta.get("source_hash")
            if not source:
                report(path, meta.line, "source_hash", f"missing: cannot tell whether the translation is current "
                       f"(the English text's hash is {en_hash})", "warning")
            elif str(source) != en_hash:
                report(path, meta.line_of("source_hash"), "source_hash",
                       f"translation stale: the English lesson changed since it was translated "
                       f"(now {en_hash}, translated from {source})", "warning")
            texts[lang] = (body, str(source) if source else None)
        if key and title_en:
            lessons.append(LessonData(key=key, position=number, title=title, minutes=minutes, texts=texts))
    return lessons


def _judgement_field(raw, path: Path, report: _Reporter, label: str) -> bool | None:
    """``judgement: true`` marks a question that asks the officer to decide what to do in a case."""
    value = raw.get("judgement", False)
    if not isinstance(value, bool):
        report(path, raw.line_of("judgement"), f"{label}.judgement", "must be true or false")
        return None
    return value


def _read_question(raw, path: Path, report: _Reporter, claim, objectives: dict, label: str,
                   group: str | None = None, case: dict | None = None,
                   judgement: bool = False) -> list[QuestionData]:
    if not isinstance(raw, LineDict):
        report(path, 1, label, "must be a mapping of question fields")
        return []

    def field_report(field_name: str, message: str) -> None:
        report(path, raw.line_of(field_name.split(".")[0].split("[")[0]), f"{label}.{field_name}", message)

    key = _id_field(raw, "id", path, report)
    if key:
        label = key
        if not claim("question", key, path, raw.line_of("id")):
            return []
    qtype = raw.get("type")
    if qtype == "group":
        if group:
            report(path, raw.line_of("type"), f"{label}.type", "a group cannot contain another group")
            return []
        group_case = _text_field(raw, "case", path, report)
        group_judgement = _judgement_field(raw, path, report, label)
        children = raw.get("questions")
        if not isinstance(children, list) or not children:
            report(path, raw.line_of("questions"), f"{label}.questions", "a group needs a list of questions")
            return []
        out = []
        for index, child in enumerate(children, start=1):
            out.extend(_read_question(child, path, report, claim, objectives, f"{label}.questions[{index}]",
                                      group=key, case=group_case, judgement=bool(group_judgement)))
        return out
    if not isinstance(qtype, str) or qtype not in REGISTRY:
        report(path, raw.line_of("type"), f"{label}.type",
               f"unknown question type {qtype!r}; use one of {', '.join(sorted(REGISTRY))} or group")
        return []
    errors_before = len([p for p in report.package.problems if p.level == "error"])
    stem = _text_field(raw, "stem", path, report)
    explanation = _text_field(raw, "explanation", path, report)
    own_case = _text_field(raw, "case", path, report, required=False)
    if own_case and case:
        report(path, raw.line_of("case"), f"{label}.case", "questions inside a group share the group's case")
    own_judgement = _judgement_field(raw, path, report, label)
    if own_judgement and not (own_case or case):
        report(path, raw.line_of("judgement"), f"{label}.judgement",
               "a judgement question needs a case: the situation the officer must decide on")
    question_objectives = raw.get("objectives")
    if not isinstance(question_objectives, list) or not question_objectives:
        report(path, raw.line_of("objectives"), f"{label}.objectives", "list the objective(s) this question tests")
        question_objectives = []
    for objective in question_objectives:
        if objective not in objectives:
            report(path, raw.line_of("objectives"), f"{label}.objectives",
                   f"objective {objective!r} is not declared in any module.yaml")
    points = raw.get("points", 1)
    if not isinstance(points, (int, float)) or isinstance(points, bool) or points <= 0:
        report(path, raw.line_of("points"), f"{label}.points", "must be a positive number")
        points = 1
    pool = raw.get("pool")
    if pool is not None and (not isinstance(pool, str) or not ID_RE.match(pool)):
        report(path, raw.line_of("pool"), f"{label}.pool", "must be a name (lowercase letters, digits and -)")
        pool = None
    elif pool is not None and group:
        report(path, raw.line_of("pool"), f"{label}.pool",
               "a question of a scenario group is shown with its group; it cannot be drawn from a pool")
        pool = None
    specific = REGISTRY[qtype].normalize(raw, field_report)
    errors_after = len([p for p in report.package.problems if p.level == "error"])
    if errors_after > errors_before or not key:
        return []
    definition = {"id": key, "type": qtype, "points": points, "objectives": [str(o) for o in question_objectives],
                  "stem": stem, "case": own_case or case, "explanation": explanation, **specific}
    if own_judgement or judgement:
        definition["judgement"] = True
    if group:
        definition["group"] = group
    if pool:
        definition["pool"] = pool
    return [QuestionData(key=key, definition=definition)]


def _read_quiz(path: Path, report: _Reporter, claim, objectives: dict, modules: dict,
               banks: dict[str, BankData]) -> QuizData | None:
    data = _read_yaml_file(path, report)
    if data is None:
        return None
    if not isinstance(data, LineDict):
        report(path, 1, "quiz", "must be a mapping of fields")
        return None
    key = _id_field(data, "id", path, report)
    if key and not claim("quiz", key, path, data.line_of("id")):
        key = None
    title = _text_field(data, "title", path, report)
    scope = data.get("scope", "module")
    module_key, kind, pairs_with = None, "module", None
    if scope == "module":
        module_key = data.get("module")
        module = modules.get(module_key)
        if module is None:
            report(path, data.line_of("module"), "module",
                   "is required" if module_key is None else f"no module with id {module_key!r}")
        elif path.stem != module.slug:
            report(path, data.line_of("module"), "module",
                   f"the quiz of module {module_key!r} must be in quizzes/{module.slug}.yaml")
    elif scope == "course":
        kind = data.get("kind")
        if kind not in COURSE_KINDS:
            report(path, data.line_of("kind"), "kind", f"a course-level test is one of {', '.join(COURSE_KINDS)}")
        pairs_with = data.get("pairs_with")
    else:
        report(path, data.line_of("scope"), "scope", "must be 'module' or 'course'")

    def settings_report(field_name: str, message: str) -> None:
        report(path, data.line_of(field_name), field_name, message)

    settings = resolve(data, settings_report)
    _check_review_settings(settings, lambda field_name, message: report(
        path, data.line_of(field_name), field_name, message, "warning"))
    bank = _read_bank_field(data, banks, path, report)
    raw_questions = data.get("questions")
    questions: list[QuestionData] = []
    if bank is not None and raw_questions in (None, []):
        pass  # every question comes from the bank
    elif not isinstance(raw_questions, list) or not raw_questions:
        report(path, data.line_of("questions"), "questions",
               "needs a list of questions" + (" (or an empty list: every question comes from the bank)"
                                              if bank is not None else ""))
    else:
        for index, raw in enumerate(raw_questions, start=1):
            questions.extend(_read_question(raw, path, report, claim, objectives, f"questions[{index}]"))
    if bank is not None:
        settings["bank"] = bank.key
        for question in questions:
            if question.definition.get("pool"):
                report(path, data.line_of("bank"), f"{question.key}.pool",
                       f"this quiz draws its pools from the bank {bank.key!r}: put pooled questions in "
                       f"banks/{bank.path.name}, or leave out pool (the question is on every paper)")
        _read_draw(data, bank.questions, settings, path, report, bank=bank)
    else:
        _read_draw(data, questions, settings, path, report)
    _check_key_positions(questions, path, data.line_of("questions") or 1, report)
    overlay_path = path.with_name(f"{path.stem}.ar.yaml")
    if overlay_path.exists():
        _apply_overlay(overlay_path, "ar", questions, report, title)
    if not (key and title):
        return None
    draw = data.get("draw")
    draw_lines = {str(name): draw.line_of(name) or data.line_of("draw") for name in draw} \
        if isinstance(draw, LineDict) else {name: data.line_of("draw") for name in settings.get("draw", {})}
    return QuizData(key=key, module_key=module_key, kind=kind, title=title, settings=settings,
                    pairs_with=pairs_with, questions=questions, path=path, draw_lines=draw_lines)


def _check_review_settings(settings: dict, warn: Callable[[str, str], None]) -> None:
    """Warn about review settings that cannot mean what they seem to (course/services/review_policy.py)."""
    if settings.get("show_answers") == "after_last_attempt" and settings.get("attempts") is None:
        warn("show_answers", "after_last_attempt never shows the correct answers: attempts are unlimited, "
                             "so there is no last attempt")
    if settings.get("show_feedback") == "when_released" and settings.get("show_answers") == "after_submission":
        warn("show_answers", "the correct answers wait for the release, as the results do (show_feedback: "
                             "when_released)")
def _read_draw(data: LineDict, questions: list[QuestionData], settings: dict, path: Path, report: _Reporter,
               bank: BankData | None = None) -> None:
    """``draw: {POOL: N}``: each attempt takes N questions at random from the questions of that pool
    (``draw: N``: N of every pool). A quiz's own pools all need an entry; a quiz drawing from a bank
    names the bank's pools it takes (``draw: N`` takes N of each)."""
    pools: dict[str, int] = {}
    for question in questions:
        if question.definition.get("pool"):
            pools[question.definition["pool"]] = pools.get(question.definition["pool"], 0) + 1
    where = f"the bank {bank.key!r}" if bank else "this quiz"
    draw = data.get("draw")
    if draw is None:
        draw = {}
    if isinstance(draw, int) and not isinstance(draw, bool):
        if not pools or not all(1 <= draw <= size for size in pools.values()):
            report(path, data.line_of("draw"), "draw",
                   f"{where} has no pools" if not pools else
                   f"must be a whole number from 1 to {min(pools.values())} (the questions in the smallest pool "
                   f"of {where})")
            return
        draw = dict.fromkeys(pools, draw)
    if not isinstance(draw, dict):
        report(path, data.line_of("draw"), "draw", "must map each pool to how many of its questions to draw")
        return
    if bank is not None and not draw:
        report(path, data.line_of("bank"), "draw", f"say how many questions of each pool of {where} an attempt "
               "takes (draw: {POOL: N}, or draw: N for N of every pool)")
    line_of = draw.line_of if isinstance(draw, LineDict) else (lambda _key: data.line_of("draw"))
    for name, count in draw.items():
        if str(name) not in pools:
            report(path, line_of(name) or data.line_of("draw"), f"draw.{name}", f"no question of {where} is in this pool")
        elif not isinstance(count, int) or isinstance(count, bool) or not 1 <= count <= pools[str(name)]:
            report(path, line_of(name) or data.line_of("draw"), f"draw.{name}",
                   f"must be a whole number from 1 to {pools[str(name)]} (the questions in the pool)")
    if bank is None:
        for name in pools:
            if name not in draw:
                report(path, data.line_of("questions") or 1, "draw",
                       f"pool {name!r} has no entry in draw: say how many of its {pools[name]} questions each "
                       "attempt takes")
    if pools:
        settings["draw"] = {str(name): count for name, count in draw.items()}


def _read_bank_field(data: LineDict, banks: dict[str, BankData], path: Path, report: _Reporter) -> BankData | None:
    """``bank: ID``: the quiz draws its pools from ``banks/ID.yaml``."""
    name = data.get("bank")
    if name is None:
        return None
    if not isinstance(name, str) or name not in banks:
        report(path, data.line_of("bank"), "bank",
               f"no question bank with id {name!r} (banks are read from banks/<id>.yaml)")
        return None
    return banks[name]


def _read_bank(path: Path, report: _Reporter, claim, objectives: dict) -> BankData | None:
    data = _read_yaml_file(path, report)
    if data is None:
        return None
    if not isinstance(data, LineDict):
        report(path, 1, "bank", "must be a mapping of fields (id, questions)")
        return None
    for unknown in [k for k in data if k not in ("id", "questions")]:
        report(path, data.line_of(unknown), str(unknown), "unknown field; a bank has id and questions")
    key = _id_field(data, "id", path, report)
    if key and path.stem != key:
        report(path, data.line_of("id"), "id", f"the bank {key!r} must be in banks/{key}.yaml")
        key = None
    if key and not claim("bank", key, path, data.line_of("id")):
        key = None
    raw_questions = data.get("questions")
    questions: list[QuestionData] = []
    if not isinstance(raw_questions, list) or not raw_questions:
        report(path, data.line_of("questions"), "questions", "needs a list of questions")
    else:
        for index, raw in enumerate(raw_questions, start=1):
            read = _read_question(raw, path, report, claim, objectives, f"questions[{index}]")
            for question in read:
                if not question.definition.get("pool"):
                    line = raw.line_of("id") if isinstance(raw, LineDict) else data.line_of("questions")
                    report(path, line, f"{question.key}.pool",
                           "every question of a bank names its pool: quizzes draw from the bank pool by pool")
                else:
                    questions.append(question)
    _check_key_positions(questions, path, data.line_of("questions") or 1, report)
    overlay_path = path.with_name(f"{path.stem}.ar.yaml")
    if overlay_path.exists():
        _apply_overlay(overlay_path, "ar", questions, report, None)
    if not key:
        return None
    return BankData(key=key, path=path, questions=questions)


def _check_banks(package: Package, report: _Reporter, root: Path) -> None:
    """A pre-test and the post-test it pairs with never give an officer the same item of a bank:
    each pool must hold what the two forms draw together. Beyond the pair (other quizzes drawing from
    the bank, further attempts) an officer gets unseen items first, then the least recently seen."""
    by_key = {q.key: q for q in package.quizzes}
    for bank in package.banks:
        rel = bank.path.relative_to(root) if bank.path.is_relative_to(root) else bank.path
        quizzes = [q for q in package.quizzes if q.settings.get("bank") == bank.key]
        if not quizzes:
            report(bank.path, 1, "id", f"no quiz draws from this bank (name it in a quiz: bank: {bank.key})", "warning")
            continue
        sizes = bank.pool_sizes()
        pairs: dict[frozenset, tuple[QuizData, QuizData]] = {}
        for quiz in quizzes:
            other = by_key.get(quiz.pairs_with or "")
            if other is not None and other is not quiz and other.settings.get("bank") == bank.key:
                first, later = sorted((quiz, other), key=lambda q: (q.kind != "pre-test", q.key))
                pairs[frozenset((quiz.key, other.key))] = (first, later)
        for first, later in pairs.values():
            for pool, size in sorted(sizes.items()):
                wanted = first.settings.get("draw", {}).get(pool, 0) + later.settings.get("draw", {}).get(pool, 0)
                if wanted > size:
                    report(later.path or root, later.draw_lines.get(pool, 1), f"draw.{pool}",
                           f"the bank {bank.key!r} ({rel}) has {size} question(s) in pool {pool!r}, but "
                           f"{first.key} and {later.key} draw {wanted} together: an officer would be given the "
                           f"same item on both; add {wanted - size} question(s) to the pool or draw fewer")
        for pool, size in sorted(sizes.items()):
            takers = [q for q in quizzes if q.settings.get("draw", {}).get(pool)]
            wanted = sum(q.settings["draw"][pool] for q in takers)
            if wanted > size and len(takers) > 2:
                report(bank.path, 1, f"pool {pool}",
                       f"{len(takers)} quizzes draw {wanted} questions of this pool of {size}: an officer who "
                       "sits all of them is given the least recently seen items again", "warning")


#: A position holding more keyed answers than chance would put there less than once in this many
#: quizzes is reported.
KEY_CLUSTER_ODDS = 100


def _at_least(count: int, chances: list[float]) -> float:
    """The probability that at least ``count`` of independent events with these chances happen."""
    spread = [1.0]  # spread[k]: the probability that exactly k happen
    for chance in chances:
        spread = [(spread[k] if k < len(spread) else 0.0) * (1 - chance)
                  + (spread[k - 1] * chance if k > 0 else 0.0) for k in range(len(spread) + 1)]
    return sum(spread[count:])


def _check_key_positions(questions: list[QuestionData], path: Path, line: int, report: _Reporter) -> None:
    """Warn when the right answers cluster on one position (authors tend to write the right option
    first, and true/false keys tend to lean one way). Pages shuffle options, but exports, printed
    copies and quizzes with ``shuffle_options: false`` show the authored order."""
    definitions = [q.definition for q in questions]
    for qtype, label in (("single", "single-choice"), ("multiple", "multiple-response")):
        keyed = [d["options"] for d in definitions if d["type"] == qtype]
        for position in range(max((len(options) for options in keyed), default=0)):
            chances = [sum(o["correct"] for o in options) / len(options) for options in keyed
                       if len(options) > position]
            count = sum(1 for options in keyed if len(options) > position and options[position]["correct"])
            if count >= 3 and _at_least(count, chances) * KEY_CLUSTER_ODDS < 1:
                report(path, line, "questions",
                       f"the keyed answers cluster on option {position + 1}: it is right in {count} of {len(chances)} "
                       f"{label} questions (about {sum(chances):.0f} by chance); rebalance the key", "warning")
    answers = [d["answer"] for d in definitions if d["type"] == "truefalse"]
    for value in (True, False):
        count = answers.count(value)
        if count >= 3 and _at_least(count, [0.5] * len(answers)) * KEY_CLUSTER_ODDS < 1:
            report(path, line, "questions",
                   f"the true/false keys lean one way: {str(value).lower()} in {count} of {len(answers)} "
                   "questions; rebalance the key", "warning")


def _apply_overlay(path: Path, lang: str, questions: list[QuestionData], report: _Reporter, title: dict | None):
    data = _read_yaml_file(path, report)
    if data is None:
        return
    if not isinstance(data, LineDict):
        report(path, 1, "overlay", "must be a mapping")
        return
    if title is not None and isinstance(data.get("title"), str):
        title[lang] = data["title"].strip()
    entries = data.get("questions")
    if entries is None:
        entries = LineDict()  # a title only: a quiz whose questions all come from its bank
    if not isinstance(entries, LineDict):
        report(path, data.line_of("questions"), "questions", "must map question ids to their translations")
        return
    by_key = {q.key: q for q in questions}
    for key, entry in entries.items():
        if key not in by_key:
            report(path, entries.line_of(key), str(key), "no question with this id in the quiz")
            continue
        if not isinstance(entry, LineDict):
            report(path, entries.line_of(key), str(key), "must be a mapping of translated fields")
            continue
        definition = by_key[key].definition
        current = question_source_hash(definition)
        source = entry.get("source_hash")
        if str(source) != current:
            report(path, entry.line_of("source_hash"), f"{key}.source_hash",
                   f"translation stale: the English question changed since it was translated (now {current})",
                   "warning")
        for text_field in ("stem", "case", "explanation"):
            if isinstance(entry.get(text_field), str) and definition.get(text_field):
                definition[text_field] = {**definition[text_field], lang: entry[text_field].strip()}

        def type_report(field_name: str, message: str, entry=entry, key=key) -> None:
            report(path, entry.line_of(field_name.split(".")[0].split("[")[0]), f"{key}.{field_name}", message)

        REGISTRY[definition["type"]].translate(definition, entry, lang, type_report)
    for question in questions:
        if question.key not in entries:
            report(path, 1, question.key, f"translation missing ({lang})", "warning")


def _check_course(package: Package, report: _Reporter, root: Path) -> None:
    quizzes_dir = root / "quizzes"
    module_quizzes: dict[str, int] = {}
    for quiz in package.quizzes:
        if quiz.module_key:
            module_quizzes[quiz.module_key] = module_quizzes.get(quiz.module_key, 0) + 1
    for module in package.modules:
        quiz_file = quizzes_dir / f"{module.slug}.yaml"
        if module.completion["quiz"] != "none" and not module_quizzes.get(module.key) and not quiz_file.exists():
            report(root / "modules", 1, module.key,
                   f"module completion needs a quiz, but quizzes/{module.slug}.yaml is missing")
    forms = {q.key: q for q in package.quizzes if q.kind in COURSE_KINDS}
    objective_module = {key: m.key for m in package.modules for key, _ in m.objectives}
    for quiz in forms.values():
        path = quizzes_dir / f"{quiz.key}.yaml"
        if quiz.pairs_with and quiz.pairs_with not in forms:
            report(path, 1, "pairs_with", f"no course-level test with id {quiz.pairs_with!r}")
        per_module: dict[str, int] = {m.key: 0 for m in package.modules}
        # One paper: the quiz's own questions, and as many of each bank pool as it draws (a pool's
        # questions test the same objectives, so its first stands for the others).
        paper = [(q, 1) for q in quiz.questions]
        for pool, count in (quiz.settings.get("draw", {}) if quiz.settings.get("bank") else {}).items():
            member = next((q for q in package.questions_of(quiz) if q.definition.get("pool") == pool), None)
            if member is not None:
                paper.append((member, count))
        for question, count in paper:
            modules = {objective_module.get(o) for o in question.definition["objectives"]}
            for module_key in modules:
                if module_key in per_module:
                    per_module[module_key] += count
        if len(set(per_module.values())) > 1:
            counts = ", ".join(f"{k}: {v}" for k, v in per_module.items())
            report(path, 1, "questions", f"a {quiz.kind} should cover every module equally ({counts})", "warning")
