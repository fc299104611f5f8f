"""Domain errors of the emulated CaiGunn service, each with the status and detail it answers."""

from __future__ import annotations


class EmulatorError(Exception):
    """Root of the emulator's domain errors; carries the HTTP status and `detail` to answer."""

    status_code = 500
    detail = "Internal Server Error"

    def __init__(self, detail: str | None = None) -> None:
        if detail is not None:
            self.detail = detail
        super().__init__(self.detail)


class ChatbotNotFound(EmulatorError):
    """No chatbot has this id, or it has been deleted."""

    status_code = 404
    detail = "Chatbot not found"


class PlanNotFound(EmulatorError):
    """The plan id is a valid UUID but not in the plan catalogue."""

    status_code = 400
    detail = "Plan not found"


class EmulatorStartError(RuntimeError):
    """The emulator process exited or stayed silent instead of printing its ready line."""
