"""Question banks (``banks/*.yaml``): questions that several quizzes draw from, each in a named pool;
and the check that a pre-test and its post-test never need the same item of a pool."""
from __future__ import annotations

from pathlib import Path

from course.package.fields import Reporter, id_field, read_mapping
from course.package.model import BankData, Package, QuestionData, QuizData
from course.package.questions import apply_overlay, check_key_positions, read_question
from course.package.yamlio import LineDict


def read_bank(path: Path, report: Reporter, claim, objectives: dict) -> BankData | None:
    data = read_mapping(path, report, "bank", "must be a mapping of fields (id, questions)")
    if data is None:
        return None
    for unknown in [k for k in data if k not in ("id", "questions")]:
        report(path, data.line_of(unknown), str(unknown), "unknown field; a bank has id and questions")
    key = id_field(data, "id", path, report)
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
            read = read_question(raw, path, report, claim, objectives, f"questions[{index}]")
            for question in read:
                if not question.definition.get("pool"):
                    line = raw.line_of("id") if isinstance(raw, LineDict) else data.line_of("questions")
                    report(path, line, f"{question.key}.pool",
                           "every question of a bank names its pool: quizzes draw from the bank pool by pool")
                else:
                    questions.append(question)
    check_key_positions(questions, path, data.line_of("questions") or 1, report)
    overlay_path = path.with_name(f"{path.stem}.ar.yaml")
    if overlay_path.exists():
        apply_overlay(overlay_path, "ar", questions, report, None)
    if not key:
        return None
    return BankData(key=key, path=path, questions=questions)


def check_banks(package: Package, report: Reporter, root: Path) -> None:
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
