"""The one error a SCORM export raises: the module cannot be exported, and why."""


class ScormError(Exception):
    """The module cannot be exported (unknown module, package with errors...)."""
