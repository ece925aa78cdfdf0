"""The course package: reading and checking it from disk (``reader``), and publishing it
into the database (``sync``). See docs/COURSE_FORMAT.md for the format itself."""
from course.package.reader import Package, Problem, read_package
from course.package.sync import SyncSummary, apply_package

__all__ = ["Package", "Problem", "SyncSummary", "apply_package", "read_package"]
