"""SCORM 1.2 export of one module: a self-contained zip that any SCORM 1.2 LMS can launch.

``build_scorm_package(package, module_key, out_path, lang)`` writes one SCO (``build.py``):
``index.html`` holds the module overview, every lesson (rendered by ``render_markdown``, so
sanitised) and the quiz, drawn by the Jinja templates in ``templates/scorm/`` in the package's
language (``pages.py``); ``imsmanifest.xml`` describes it (``manifest.py``); the quiz's data for
the player sits in the page as JSON (``quizdata.py``). ``static/scorm/player.js`` is a
plain-JavaScript player that shows one part at a time, scores the quiz as ``course/questions.py``
does and talks to the LMS through the SCORM 1.2 API (``LMSInitialize``/``LMSSetValue``/
``LMSCommit``/``LMSFinish``); ``marsa.css`` is the app's own stylesheet and
``static/scorm/sco.css`` a few rules for the player. Nothing is fetched from anywhere else.

Inside a SCORM package the answer key necessarily travels to the browser, and grading happens
there: a determined learner can read the key. Use the Marsa server for graded or exam quizzes
whose results must be trusted.
"""
from course.questions.scorm12 import scorm12_codes
from course.scorm.build import LANGUAGES, build_scorm_package, count_steps
from course.scorm.errors import ScormError
from course.scorm.quizdata import COMMIT_INTERVAL_MS, SUSPEND_DATA_LIMIT

__all__ = ["COMMIT_INTERVAL_MS", "LANGUAGES", "SUSPEND_DATA_LIMIT", "ScormError",
           "build_scorm_package", "count_steps", "scorm12_codes"]
