"""Domain errors that views turn into clear messages (a field error, a flash, a 4xx)."""


class ServiceError(Exception):
    """A request the domain refuses; ``field`` names the form field it belongs to, if any.

    Services raise it with a lazy string (``_l("...")``): ``message`` is that text in the
    language of the current request, in English outside one (the CLI).
    """

    def __init__(self, message, field: str | None = None, status: int = 400):
        super().__init__(message)
        self._message = message
        self.field = field
        self.status = status

    @property
    def message(self) -> str:
        """The message as plain text (a lazy string would not survive a flash or a JSON body)."""
        return str(self._message)
