"""The course's own files: ``course.yaml``, each module's ``module.yaml`` (objectives, completion
rules, change notes) and its lessons (``NN-slug.LANG.md``, front matter and body, translations
checked against the English text's hash)."""
from __future__ import annotations

from pathlib import Path

from course.package.fields import Reporter, claimed_id, id_field, int_field, read_mapping, text_field
from course.package.model import (
    LANGUAGES,
    LESSON_FILE_RE,
    MODULE_DIR_RE,
    OBJECTIVE_RE,
    CourseData,
    LessonData,
    ModuleData,
    short_hash,
)
from course.package.yamlio import LineDict, YamlError, load_yaml, shift_lines


def read_course_file(path: Path, report: Reporter) -> CourseData | None:
    data = read_mapping(path, report, "course")
    if data is None:
        return None
    known = ("id", "title", "institute", "certificate")
    for unknown in [k for k in data if k not in known]:
        report(path, data.line_of(unknown), str(unknown), f"unknown field; use {', '.join(known)}", "warning")
    key = id_field(data, "id", path, report)
    title = text_field(data, "title", path, report)
    institute = text_field(data, "institute", path, report)
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


def _read_changes(data: LineDict, path: Path, report: Reporter) -> list[tuple[str, dict]]:
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
        change_key = id_field(entry, "id", path, report)
        note = text_field(entry, "note", path, report)
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


def read_module(module_dir: Path, report: Reporter, claim) -> ModuleData | None:
    match = MODULE_DIR_RE.match(module_dir.name)
    if not match:
        report(module_dir, 1, "folder", "module folders are named NN-slug, e.g. 01-terminology")
        return None
    meta_path = module_dir / "module.yaml"
    if not meta_path.exists():
        report(meta_path, 1, "file", "module.yaml is missing")
        return None
    data = read_mapping(meta_path, report, "module")
    if data is None:
        return None
    key = claimed_id(data, "module", meta_path, report, claim)
    title = text_field(data, "title", meta_path, report)
    summary = text_field(data, "summary", meta_path, report) or {"en": ""}
    position = int_field(data, "order", meta_path, report, minimum=1)
    minutes = int_field(data, "minutes", meta_path, report, default=0)
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
            objective_key = id_field(objective, "id", meta_path, report, pattern=OBJECTIVE_RE)
            text = text_field(objective, "text", meta_path, report)
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


def _split_front_matter(path: Path, report: Reporter):
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


def _read_lessons(module_dir: Path, report: Reporter, claim) -> list[LessonData]:
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
        key = id_field(en_meta, "id", en_path, report)
        title = {"en": ""}
        title_en = text_field(en_meta, "title", en_path, report)
        if title_en:
            title = dict(title_en)
        minutes = int_field(en_meta, "minutes", en_path, report, default=0)
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
