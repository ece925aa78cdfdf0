"""Quiz files (``quizzes/*.yaml``): scope and kind, settings, the bank a quiz draws from and how many
of each pool, its questions; then the checks across the course (every module with a quiz, pre- and
post-tests covering every module equally)."""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from course.package.fields import Reporter, claimed_id, read_mapping, text_field
from course.package.model import COURSE_KINDS, BankData, Package, QuestionData, QuizData
from course.package.questions import apply_overlay, check_key_positions, read_question
from course.package.yamlio import LineDict
from course.quizsettings import resolve


def read_quiz(path: Path, report: Reporter, claim, objectives: dict, modules: dict,
               banks: dict[str, BankData]) -> QuizData | None:
    data = read_mapping(path, report, "quiz")
    if data is None:
        return None
    key = claimed_id(data, "quiz", path, report, claim)
    title = text_field(data, "title", path, report)
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
            questions.extend(read_question(raw, path, report, claim, objectives, f"questions[{index}]"))
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
    check_key_positions(questions, path, data.line_of("questions") or 1, report)
    overlay_path = path.with_name(f"{path.stem}.ar.yaml")
    if overlay_path.exists():
        apply_overlay(overlay_path, "ar", questions, report, title)
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


def _read_draw(data: LineDict, questions: list[QuestionData], settings: dict, path: Path, report: Reporter,
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


def _read_bank_field(data: LineDict, banks: dict[str, BankData], path: Path, report: Reporter) -> BankData | None:
    """``bank: ID``: the quiz draws its pools from ``banks/ID.yaml``."""
    name = data.get("bank")
    if name is None:
        return None
    if not isinstance(name, str) or name not in banks:
        report(path, data.line_of("bank"), "bank",
               f"no question bank with id {name!r} (banks are read from banks/<id>.yaml)")
        return None
    return banks[name]


def check_course(package: Package, report: Reporter, root: Path) -> None:
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
