"""``flask --app app quiz import-gift|export-gift``: move module quizzes between Marsa and Moodle.

The commands only read and write files; publishing stays with ``course check`` and ``course load``,
so an imported quiz goes through the same checks as one written by hand.
"""
from __future__ import annotations

from collections import Counter
from datetime import date
from pathlib import Path

import click
import yaml
from flask import Flask

from course.cli._common import course_dir, fail, print_problems
from course.interchange.gift_read import parse_gift
from course.interchange.gift_write import dump_quiz_yaml, export_gift
from course.interchange.moodle_xml import parse_moodle_xml
from course.package import read_package
from course.package.model import ModuleData, Package, QuizData


def _find_module(package: Package, slug: str) -> ModuleData:
    """The module named by its folder slug or its id (they are usually the same)."""
    for module in package.modules:
        if slug in (module.slug, module.key):
            return module
    known = ", ".join(m.slug for m in package.modules) or "none"
    fail(f"no module {slug!r} in {package.root} (modules: {known}); `flask --app app course check` shows why "
          "a module may be missing")


def _module_quiz(package: Package, module: ModuleData) -> QuizData | None:
    return next((q for q in package.quizzes if q.module_key == module.key), None)


def _ids_in_use(package: Package, module: ModuleData) -> set[str]:
    """Every id of the course except the questions of the module's own quiz, which an import
    replaces: a re-imported question keeps its id, a new one must not take a used one."""
    own = _module_quiz(package, module)
    replaced = set()
    if own is not None:
        replaced = {q.key for q in own.questions} | {q.definition.get("group") for q in own.questions}
    ids = {m.key for m in package.modules} | {k for m in package.modules for k, _ in m.objectives}
    ids |= {lesson.key for m in package.modules for lesson in m.lessons}
    for quiz in package.quizzes:
        ids.add(quiz.key)
        for question in quiz.questions:
            ids.add(question.key)
            if question.definition.get("group"):
                ids.add(question.definition["group"])
    for bank in package.banks:
        ids.add(bank.key)
        ids |= {question.key for question in bank.questions}
    return ids - (replaced - {None})


def _quiz_header(quiz_file: Path, module: ModuleData) -> dict:
    """The quiz settings to write above the questions: the current quiz file's, so a re-import
    keeps its id, title and preset; otherwise those of a new graded quiz."""
    if quiz_file.exists():
        try:
            current = yaml.safe_load(quiz_file.read_text(encoding="utf-8"))
        except (yaml.YAMLError, UnicodeDecodeError):
            current = None
        if isinstance(current, dict) and current.get("id"):
            return {k: v for k, v in current.items() if k != "questions"}
    return {"id": f"{module.key}-quiz", "module": module.key,
            "title": f"Check your understanding: {module.title['en']}", "preset": "graded", "pass_mark": 70}


def _count_questions(questions: list[dict]) -> Counter:
    counts: Counter = Counter()
    for question in questions:
        if question["type"] == "group":
            counts.update(child["type"] for child in question["questions"])
        else:
            counts[question["type"]] += 1
    return counts


def _note_dropped_questions(package: Package, module: ModuleData, questions: list[dict], quiz_file: Path) -> None:
    """Say which questions of the replaced quiz the import lacks: loading retires them, and a
    translation overlay that still names them fails the check (an export leaves out ordering)."""
    old = _module_quiz(package, module)
    if old is None:
        return
    imported = {child["id"] for q in questions for child in (q["questions"] if q["type"] == "group" else [q])}
    dropped = [q.key for q in old.questions if q.key not in imported]
    if not dropped:
        return
    overlays = sorted(p.name for p in quiz_file.parent.glob(f"{module.slug}.*.yaml"))
    hint = f"; remove them from {', '.join(overlays)} too" if overlays else ""
    click.echo(f"warning: {len(dropped)} question(s) of the replaced quiz are not in the import and will be "
               f"retired when the course is loaded: {', '.join(dropped)}{hint}", err=True)


def _import(file: str, module_slug: str, objective: str | None, output: str | None, force: bool,
            skip_unsupported: bool, xml: bool) -> None:
    """Read a GIFT or Moodle XML file into a module quiz YAML (see docs/COURSE_FORMAT.md)."""
    root = course_dir()
    package = read_package(root)
    module = _find_module(package, module_slug)
    objective_ids = [key for key, _ in module.objectives]
    if objective is not None and objective not in objective_ids:
        fail(f"{objective!r} is not an objective of module {module.key!r} ({', '.join(objective_ids)})")
    default_objective = objective or (objective_ids[0] if objective_ids else None)
    if xml:  # bytes: the XML declaration names the encoding
        parse, text = parse_moodle_xml, Path(file).read_bytes()
    else:
        try:
            parse, text = parse_gift, Path(file).read_text(encoding="utf-8")
        except UnicodeDecodeError:
            click.echo(f"{file}:1: file: is not UTF-8 text (save it as UTF-8 and try again)", err=True)
            raise SystemExit(1) from None
    result = parse(text, source=file, module=module.slug, objectives=objective_ids,
                   default_objective=default_objective, taken_ids=_ids_in_use(package, module))
    print_problems(result)
    if result.errors and not skip_unsupported:
        fail(f"nothing written: {len(result.errors)} error(s) in {file} (--skip-unsupported writes the "
              "questions without errors and lists the others)")
    if not result.questions:
        fail(f"nothing written: no questions in {file}")
    quiz_file = root / "quizzes" / f"{module.slug}.yaml"
    target = Path(output) if output else quiz_file
    if target.exists() and not force:
        fail(f"{target} exists; use --force to replace it, or -o to write elsewhere")
    command = "import-moodle-xml" if xml else "import-gift"
    comment = (f"Imported from {Path(file).name} by `flask --app app quiz {command}` on {date.today()}.\n"
               "Check it with `flask --app app course check` before loading.")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(dump_quiz_yaml(_quiz_header(quiz_file, module), result.questions, comment),
                      encoding="utf-8")
    if target.resolve() == quiz_file.resolve():
        _note_dropped_questions(package, module, result.questions, quiz_file)
    counts = _count_questions(result.questions)
    kinds = ", ".join(f"{n} {kind}" for kind, n in sorted(counts.items()))
    click.echo(f"Wrote {sum(counts.values())} questions ({kinds}) to {target}; "
               f"{len(result.warnings)} warning(s) to address before loading.")
    if result.skipped:
        click.echo(f"Skipped {len(result.skipped)} question(s) with errors (listed above): "
                   + ", ".join(f"{label} ({file}:{line})" for label, line in result.skipped))
    if result.defaulted and objective is None:
        click.echo(f"{len(result.defaulted)} question(s) had no objective in their $CATEGORY and got "
                   f"{default_objective}, the module's first objective (choose another with --objective).")


def register(app: Flask) -> None:
    """Add the ``quiz`` command group to ``app``'s CLI."""

    @app.cli.group("quiz")
    def quiz_group():
        """Exchange module quizzes with Moodle (GIFT; Moodle XML import)."""

    def import_options(command):
        for option in reversed((
                click.argument("file", type=click.Path(exists=True, dir_okay=False)),
                click.option("--module", "module_slug", required=True, help="Module slug (e.g. terminology)."),
                click.option("--objective", default=None,
                             help="Objective for questions whose category names none (default: the module's first)."),
                click.option("-o", "--output", default=None, type=click.Path(dir_okay=False),
                             help="Quiz YAML to write (default: quizzes/<slug>.yaml in COURSE_DIR)."),
                click.option("--force", is_flag=True, help="Replace the output file if it exists."),
                click.option("--skip-unsupported", is_flag=True,
                             help="Write the questions that can be imported and list the ones left out (default: "
                                  "write nothing while any question has an error)."))):
            command = option(command)
        return command

    @quiz_group.command("import-gift")
    @import_options
    def import_gift(file, module_slug, objective, output, force, skip_unsupported):
        """Read a GIFT file into a module quiz YAML; print every problem as FILE:line: field: message."""
        _import(file, module_slug, objective, output, force, skip_unsupported, xml=False)

    @quiz_group.command("import-moodle-xml")
    @import_options
    def import_moodle_xml(file, module_slug, objective, output, force, skip_unsupported):
        """Read a Moodle XML question bank export into a module quiz YAML, reporting as import-gift does."""
        _import(file, module_slug, objective, output, force, skip_unsupported, xml=True)

    @quiz_group.command("export-gift")
    @click.argument("slug")
    @click.option("-o", "--output", default=None, type=click.Path(dir_okay=False),
                  help="GIFT file to write (default: standard output).")
    def export_gift_command(slug, output):
        """Write a module's quiz as GIFT for Moodle; print what GIFT cannot hold."""
        package = read_package(course_dir())
        if package.errors:
            print_problems(package)
            fail(f"the course package has {len(package.errors)} error(s); fix them first, so no question is "
                  "left out unseen")
        module = _find_module(package, slug)
        quiz = _module_quiz(package, module)
        if quiz is None:
            fail(f"module {module.key!r} has no quiz (quizzes/{module.slug}.yaml)")
        text, messages = export_gift(quiz)
        for message in messages:
            click.echo(message, err=True)
        written = sum(1 for line in text.splitlines() if line.startswith("::"))
        if output is None:
            click.echo(text)
            return
        Path(output).write_text(text + "\n", encoding="utf-8")
        click.echo(f"Wrote {written} of {len(quiz.questions)} questions of {quiz.key} to {output}.")
