"""The run-time knobs, defined once: defaults, ranges and help for the flags and the admin JSON."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    JsonValue,
    StringConstraints,
    model_validator,
)

from caigunn_provider.emulator.urls import OPERATIONS


def _known_operation(name: str) -> str:
    if name not in OPERATIONS:
        raise ValueError(f"not the operation of a CaiGunn route; one of {', '.join(OPERATIONS)}")
    return name


# An operation a scripted answer can target: a CaiGunn route's handler name (the route table's).
Operation = Annotated[str, AfterValidator(_known_operation)]
Answer = Literal["status", "drop", "non_json", "hang"]

# Upper bounds that keep a mistyped value from wedging the emulator (every later request
# waiting hours) while leaving room for any timing a test needs.
MAX_WAIT_MS = 600_000.0
MAX_RETRY_AFTER = 3600
MAX_COUNT = 1_000_000

FailStatus = Annotated[int, Field(ge=400, le=599)]
# Header names and values the HTTP layer can send as they are (no line breaks to inject).
HeaderName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9-]{1,64}$")]
HeaderValue = Annotated[str, StringConstraints(pattern=r"^[\x20-\x7e]{0,1000}$")]
WaitMs = Annotated[float, Field(ge=0, le=MAX_WAIT_MS)]
# The detail a failed background event carries (it reaches logs and messages: printable text).
FailDetail = Annotated[str, StringConstraints(pattern=r"^[\x20-\x7e]{1,200}$")]
# What a crawled page says (site_pages): at most 100,000 characters.
PageText = Annotated[str, StringConstraints(max_length=100_000)]


class ScriptRule(BaseModel):
    """One scripted answer for the next matching request(s) of one operation."""

    # allow_inf_nan=False: JSON's `Infinity`/`NaN` literals parse as floats and must be refused.
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    operation: Operation
    answer: Answer
    status: int = Field(
        default=500,  # _default_status makes it 200 for non_json
        ge=200,
        le=599,
        description="status of the answer; 500 by default, 200 for non_json",
    )
    commit: bool = Field(
        default=False, description="perform the operation first, then give the scripted answer"
    )
    times: int = Field(default=1, ge=1, le=MAX_COUNT, description="how many requests it answers")
    hang_ms: WaitMs = Field(default=0.0, description="for hang: wait this long, then answer")
    after_operation: Operation | None = Field(
        default=None,
        description="match only once a request of this operation has been answered; "
        "cleared (the rule armed) when that happens",
    )
    body: JsonValue = Field(
        default=None,
        description='status: this JSON instead of {"detail": <phrase>}; non_json: this text '
        "instead of the HTML page",
    )
    headers: dict[HeaderName, HeaderValue] = Field(
        default_factory=dict,
        max_length=20,
        description="extra headers of a status, non_json or drop answer (e.g. Retry-After)",
    )

    @model_validator(mode="after")
    def _text_for_non_json(self) -> ScriptRule:
        if self.answer == "non_json" and not isinstance(self.body, str | None):
            raise ValueError("a non_json answer's body is text")
        return self

    @model_validator(mode="before")
    @classmethod
    def _default_status(cls, data: Any) -> Any:
        # A page that is not JSON comes by default with a 2xx, which is what a client trusts.
        if isinstance(data, Mapping) and data.get("status") is None:
            return {**data, "status": 200 if data.get("answer") == "non_json" else 500}
        return data


class Knobs(BaseModel):
    """Every run-time knob; the same names are the flags (dashed) and the admin JSON keys."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    latency_ms: WaitMs = Field(default=0.0, description="delay added to each CaiGunn call (ms)")
    fail_rate: float = Field(
        default=0.0, ge=0, le=1, description="share of CaiGunn calls that fail before running"
    )
    create_commit_fail_rate: float = Field(
        default=0.0,
        ge=0,
        le=1,
        description="share of creates (past the other faults) that commit, then answer 500",
    )
    write_commit_fail_rate: float = Field(
        default=0.0,
        ge=0,
        le=1,
        description="share of chatbot-level writes (training data, model, webhook, Opentalk, "
        "talk; past the other faults) that commit, then answer 500",
    )
    fail_statuses: tuple[FailStatus, ...] = Field(
        default=(429, 500, 503),
        min_length=1,
        max_length=20,
        description="statuses the failures draw from, e.g. 429,500,503",
    )
    retry_after: int = Field(
        default=1, ge=0, le=MAX_RETRY_AFTER, description="Retry-After seconds on 429 and 503"
    )
    max_in_flight: int | None = Field(
        default=None,
        ge=1,
        le=MAX_COUNT,
        description="answer 429 (with Retry-After) to a CaiGunn call that would make more than "
        "this many at once",
    )
    max_limit: int | None = Field(
        default=None,
        ge=1,
        le=MAX_COUNT,
        description="largest page size served (silently) by the chatbot, plan, uid and message "
        "lists",
    )
    newest_first: bool = Field(default=False, description="list newest chatbots first")
    ignore_offset: bool = Field(
        default=False, description="list routes ignore offset and always serve from the start"
    )
    endless: bool = Field(
        default=False, description="the chatbot list never ends: synthetic rows at every offset"
    )
    churn_every: int | None = Field(
        default=None,
        ge=1,
        le=MAX_COUNT,
        description="every K-th chatbot-list request first makes one out-of-band change",
    )
    churn: Literal["delete", "insert"] = Field(
        default="delete",
        description="delete: the first prefixed chatbot in list order; "
        "insert: a new chatbot titled <prefix>churn-<n>",
    )
    churn_prefix: str = Field(
        default="preloaded-",
        min_length=1,
        max_length=200,
        description="churn touches only chatbots whose title starts with this",
    )
    pause_after_create_ms: WaitMs = Field(
        default=0.0, description="a create commits, then its answer waits this long (ms)"
    )
    token_expires_at: AwareDatetime | None = Field(
        default=None,
        description="when the current access token expires (ISO-8601 with zone); later CaiGunn "
        "calls answer 401; a token refresh sets it to the new token's expiry",
    )
    work_ms: WaitMs = Field(
        default=200.0, description="how long each crawl, upload and training takes (ms)"
    )
    crawl_pages: int = Field(
        default=1, ge=1, le=50, description="training-data rows a whole-site crawl yields"
    )
    site_pages: dict[Annotated[str, StringConstraints(max_length=2000)], PageText] = Field(
        default_factory=dict,
        description="the text a crawl reads on each page, by URL: a crawled row answers talks "
        "with it; a page mapped to an empty text yields no row (an empty crawl); a URL not "
        "listed yields a row with no text",
    )
    fail_crawl: FailDetail | None = Field(
        default=None, description="while set, every crawl ends failed with this detail"
    )
    fail_upload: FailDetail | None = Field(
        default=None, description="while set, every file upload ends failed with this detail"
    )
    fail_training: FailDetail | None = Field(
        default=None, description="while set, every training ends failed with this detail"
    )
    training_never_finishes: bool = Field(
        default=False,
        description="trainings stay in their initial status while this is on (they finish "
        "once it is off)",
    )
    talk_latency_ms: WaitMs = Field(
        default=0.0, description="delay before each talk is answered (ms), after latency_ms"
    )
    talk_fail_rate: float = Field(
        default=0.0, ge=0, le=1, description="share of talks that answer 500 and store nothing"
    )
    talk_timeout_rate: float = Field(
        default=0.0,
        ge=0,
        le=1,
        description="share of talks that wait talk_timeout_ms, then answer 504 and store nothing",
    )
    talk_timeout_ms: WaitMs = Field(
        default=30_000.0, description="how long a talk picked by talk_timeout_rate waits (ms)"
    )
    talk_idk_rate: float = Field(
        default=0.0,
        ge=0,
        le=1,
        description='share of talks answered "I don\'t know." whatever the model knows '
        "(drawn from talk_seed and the chatbot's talk count)",
    )
    talk_seed: int = Field(
        default=0, ge=0, le=MAX_COUNT, description="seed of the talk_idk_rate draws"
    )
    model_switch_delay_ms: WaitMs = Field(
        default=0.0,
        description="talks answer from the model the chatbot's model_id named this long ago "
        "(ms): after a switch, the model before it answers for this long",
    )
    message_limit: int | None = Field(
        default=None,
        ge=0,
        le=MAX_COUNT,
        description="talks each chatbot may have, instead of its plan's message limit",
    )
    script: tuple[ScriptRule, ...] = Field(
        default=(),
        max_length=100,
        description="one-shot scripted answers, as a JSON list of rules",
    )

    def with_changes(self, changes: Mapping[str, Any]) -> Knobs:
        """A validated copy with some knobs changed (pydantic.ValidationError if a value is bad)."""
        return Knobs.model_validate({**self.model_dump(), **changes})
