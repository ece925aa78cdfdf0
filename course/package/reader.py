"""Read a course package from disk and report every problem with its file, line and field.

``read_package(root)`` never raises on bad content: it returns what it could read plus a list
of ``Problem``s. A package with any error must not be published (``sync`` refuses it).

What is read where: ``model`` (the data read, ids, hashes), ``fields`` (problem reporting and the
shared fields), ``modules`` (course.yaml, modules, lessons), ``questions`` (questions and their
translation overlays), ``quizzes`` (quiz files and the course-wide checks), ``banks`` (question banks).
"""
from __future__ import annotations

from pathlib import Path

from course.package.banks import check_banks, read_bank
from course.package.fields import Reporter
from course.package.model import Package
from course.package.modules import read_course_file, read_module
from course.package.quizzes import check_course, read_quiz


def read_package(root: str | Path) -> Package:
    root = Path(root)
    package = Package(root=root)
    report = Reporter(package, root)
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
        module = read_module(module_dir, report, claim)
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
            bank = read_bank(bank_path, report, claim, objectives)
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
            quiz = read_quiz(quiz_path, report, claim, objectives, modules_by_key, banks)
            if quiz:
                package.quizzes.append(quiz)
        for overlay in sorted(quizzes_dir.glob("*.*.yaml")):
            base = overlay.name.split(".")[0]
            if not (quizzes_dir / f"{base}.yaml").exists():
                report(overlay, 1, "file", f"translation overlay without a quiz file {base}.yaml")
    check_course(package, report, root)
    check_banks(package, report, root)
    if (root / "course.yaml").exists():
        package.course = read_course_file(root / "course.yaml", report)
    return package
