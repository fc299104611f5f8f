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


class ApiKeyRefused(EmulatorError):
    """A chatbot-level call without the api-key header, or with one no live chatbot holds."""

    status_code = 401
    detail = "Invalid api-key"


class TrainingDataNotFound(EmulatorError):
    """No training data of this chatbot has this id."""

    status_code = 404
    detail = "Training data not found"


class ModelNotFound(EmulatorError):
    """No model of this chatbot has this id."""

    status_code = 404
    detail = "Model not found"


class EventNotFound(EmulatorError):
    """No event of this chatbot has this id."""

    status_code = 404
    detail = "Event not found"


class LimitExceeded(EmulatorError):
    """The chatbot's plan allows no more of this (crawled pages, trainings)."""

    status_code = 403


class FileSizeLimitExceeded(EmulatorError):
    """The upload would take the chatbot's files past its plan's total file size limit."""

    status_code = 413
    detail = "Total file size limit exceeded"


class TalkFailed(EmulatorError):
    """A talk the talk_fail_rate knob picked: it fails before anything is stored."""

    status_code = 500
    detail = "Internal Server Error"


class TalkTimedOut(EmulatorError):
    """A talk the talk_timeout_rate knob picked: it gives up after its wait, nothing stored."""

    status_code = 504
    detail = "Gateway Timeout"


class BadRequest(EmulatorError):
    """A request the service refuses as malformed beyond field validation."""

    status_code = 400


class EmulatorStartError(RuntimeError):
    """The emulator process exited or stayed silent instead of printing its ready line."""
