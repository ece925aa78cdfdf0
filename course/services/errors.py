"""Domain errors that views turn into clear messages (a field error, a flash, a 4xx)."""


class ServiceError(Exception):
    """A request the domain refuses; ``field`` names the form field it belongs to, if any."""

    def __init__(self, message: str, field: str | None = None, status: int = 400):
        super().__init__(message)
        self.message = message
        self.field = field
        self.status = status
