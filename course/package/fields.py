"""Problem reporting and the fields every package file shares: a YAML file read with its line
numbers, a text in English and Arabic, a whole number, an id. Each reports what is wrong with the
file, line and field, and returns what it could read."""
from __future__ import annotations

from pathlib import Path

from course.package.model import ID_RE, LANGUAGES, Package, Problem
from course.package.yamlio import LineDict, YamlError, load_yaml
from course.questions import i18n


class Reporter:
    """Called with a problem found in the package being read; records it on the package with its
    file relative to the package's root."""

    def __init__(self, package: Package, root: Path):
        self.package = package
        self.root = root

    def __call__(self, path: Path, line: int, field_name: str, message: str, level: str = "error"):
        try:
            rel = str(path.relative_to(self.root))
        except ValueError:
            rel = str(path)
        self.package.problems.append(Problem(rel, line, field_name, message, level))


def read_yaml_file(path: Path, report: Reporter):
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


def read_mapping(path: Path, report: Reporter, field_name: str,
                 message: str = "must be a mapping of fields") -> LineDict | None:
    """A YAML file that must hold a mapping (course.yaml, module.yaml, a quiz, a bank): its data, or
    None with the problem reported."""
    data = read_yaml_file(path, report)
    if data is None:
        return None
    if not isinstance(data, LineDict):
        report(path, 1, field_name, message)
        return None
    return data


def claimed_id(data: LineDict, kind: str, path: Path, report: Reporter, claim) -> str | None:
    """The file's ``id`` when it is valid and no other ``kind`` of the package has claimed it."""
    key = id_field(data, "id", path, report)
    if key and not claim(kind, key, path, data.line_of("id")):
        return None
    return key


def text_field(data: LineDict, key: str, path: Path, report: Reporter, required: bool = True):
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


def int_field(data: LineDict, key: str, path: Path, report: Reporter, default=None, minimum=0):
    value = data.get(key, default)
    if value is None:
        report(path, data.line, key, "is required")
        return minimum
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        report(path, data.line_of(key), key, f"must be a whole number of at least {minimum}")
        return minimum
    return value


def id_field(data: LineDict, key: str, path: Path, report: Reporter, pattern=ID_RE) -> str | None:
    value = data.get(key)
    if not isinstance(value, str) or not pattern.match(value):
        report(path, data.line_of(key), key,
               "is required" if value is None else f"{value!r} is not a valid id (lowercase letters, digits, hyphens)")
        return None
    return value
