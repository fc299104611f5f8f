"""The one exception tree for everything this package raises."""

from __future__ import annotations


class CaiGunnError(Exception):
    """Root of every error this package raises."""


class ConfigError(CaiGunnError, ValueError):
    """The provider is not configured (missing token, bad URL)."""


class StackFileError(CaiGunnError, ValueError):
    """A stack file is unreadable or invalid; the message lists every problem found."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


class AdoptError(CaiGunnError, ValueError):
    """An `import:` id cannot be adopted as declared (unknown id, or another plan)."""


class APIConnectionError(CaiGunnError):
    """The API could not be reached, or did not answer (refused, DNS, timeout, dropped)."""

    def __init__(
        self, message: str, *, method: str, url: str, may_have_taken_effect: bool = False
    ) -> None:
        self.method = method
        self.url = url
        # False when the request provably never reached the server (refused, DNS, connect).
        self.may_have_taken_effect = may_have_taken_effect
        super().__init__(message)


class APIError(CaiGunnError):
    """The API answered with an error status; carries status, method, URL and server detail."""

    def __init__(self, message: str, *, status: int, method: str, url: str, detail: object) -> None:
        self.status = status
        self.method = method
        self.url = url
        self.detail = detail
        super().__init__(message)

    @property
    def may_have_taken_effect(self) -> bool:
        """Whether the server may have done what was asked despite the error (a 5xx)."""
        return self.status >= 500


class AuthError(APIError):
    """The access token was refused (401/403)."""


class NotFoundError(APIError):
    """The chatbot (or path) does not exist (404)."""


class ValidationError(APIError, ValueError):
    """The server rejected the request's values (400/422), e.g. an unknown plan."""


class UnsupportedError(APIError):
    """The server does not offer this operation (seed-level API: 404/405 on the route)."""
