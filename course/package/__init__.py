"""The course package: reading and checking it from disk (``reader``, over ``model``, ``fields``,
``modules``, ``questions``, ``quizzes`` and ``banks``), and publishing it into the database
(``sync``). See docs/COURSE_FORMAT.md for the format itself."""
from course.package.model import Package, Problem
from course.package.reader import read_package
from course.package.sync import SyncSummary, apply_package

__all__ = ["Package", "Problem", "SyncSummary", "apply_package", "read_package"]
