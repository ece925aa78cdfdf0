"""The package's ``imsmanifest.xml`` (SCORM 1.2, IMS Content Packaging 1.1.2), from
``templates/scorm/imsmanifest.xml``: autoescaped, so a module title cannot break the XML."""
from __future__ import annotations

from flask import render_template

from course.models.content import text_in
from course.scorm.pages import number


def render_manifest(module, quiz, lang: str, files: list[str]) -> str:
    """The manifest of the one SCO of ``module``; ``files`` are every file of the package but the
    manifest. The quiz's pass mark is the LMS's mastery score."""
    return render_template(
        "scorm/imsmanifest.xml", base=f"marsa-{module.key}", title=text_in(module.title, lang),
        mastery_score=number(quiz.settings["pass_mark"]) if quiz is not None else None, files=files)
