"""The one exception tree for everything this package raises."""

from __future__ import annotations


class CaiGunnError(Exception):
    """Root of every error this package raises."""

    # What the provider was doing when this was raised ("create this chatbot"), for the report.
    operation: str | None = None


class ConfigError(CaiGunnError, ValueError):
    """A provider setting is missing or malformed (token, API URL, timeout)."""


class StackFileError(CaiGunnError, ValueError):
    """A stack file is unreadable or invalid; the message lists every problem found."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


class OwnershipError(CaiGunnError, ValueError):
    """Which chatbot an entry owns cannot be settled safely (adoption mismatch, ambiguity)."""


class AmbiguousCreate(OwnershipError):
    """A create whose answer was lost while other chatbots of its title appeared: which one it
    made cannot be told (candidates: their ids)."""

    def __init__(self, message: str, *, candidates: tuple[str, ...]) -> None:
        super().__init__(message)
        self.candidates = candidates


class ListingError(CaiGunnError):
    """The chatbot list could not be read completely within the allowed number of requests."""


class APIConnectionError(CaiGunnError):
    """No answer came back: the connection failed, dropped or timed out."""

    def __init__(
        self, message: str, *, method: str, url: str, reached: bool, timed_out: bool = False
    ) -> None:
        self.method = method
        self.url = url
        # False only when the request provably never reached the server (DNS, refused, connect).
        self.reached = reached
        # The request was sent and no answer came in time: the server may still be at work.
        self.timed_out = timed_out
        super().__init__(message)


class APIError(CaiGunnError):
    """CaiGunn answered, but not with what was asked; carries status, method, URL and detail."""

    def __init__(self, message: str, *, status: int, method: str, url: str, detail: object) -> None:
        self.status = status
        self.method = method
        self.url = url
        self.detail = detail
        super().__init__(message)


class AuthError(APIError):
    """The access token was refused (401/403)."""


class NotFoundError(APIError):
    """The chatbot (or path) does not exist (404)."""


class ValidationError(APIError, ValueError):
    """The server rejected the request's values (400/422), e.g. an unknown plan."""


class UnsupportedError(APIError):
    """The server does not offer this operation (a seed-level API: no such route)."""


class MalformedAnswerError(APIError):
    """A success status whose body is not the documented JSON shape."""


class BackgroundWorkFailed(CaiGunnError):
    """A crawl, upload or training that CaiGunn ran in the background ended `failed`."""

    def __init__(self, message: str, *, event_id: str, event: str, detail: object) -> None:
        self.event_id = event_id
        self.event = event  # crawling, uploading or training
        self.detail = detail
        super().__init__(message)


class WaitTimeout(CaiGunnError):
    """Background work had not ended when the wait for it gave up; it may still finish."""

    def __init__(self, message: str, *, event_id: str, stage: str) -> None:
        self.event_id = event_id
        self.stage = stage
        super().__init__(message)
