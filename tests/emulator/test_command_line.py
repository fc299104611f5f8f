"""The emulator's flags, parsed in-process: one flag per knob, built from the Knobs model."""

from __future__ import annotations

import json

import pytest

from caigunn_provider.__main__ import main as dispatch
from caigunn_provider.emulator.knobs import Knobs, ScriptRule
from caigunn_provider.emulator.server import build_parser, is_loopback, main, settings_from_args

SCRIPT = [{"operation": "create_chatbot", "answer": "drop", "commit": True}]
EVERY_KNOB_FLAG = [
    *("--latency-ms", "5", "--fail-rate", "0.25", "--fail-statuses", "503,429"),
    *("--create-commit-fail-rate", "0.1", "--max-in-flight", "8"),
    *("--retry-after", "3", "--max-limit", "50", "--newest-first", "--ignore-offset"),
    *("--endless", "--churn-every", "4", "--churn", "insert", "--churn-prefix", "old-"),
    *("--pause-after-create-ms", "1500", "--script", json.dumps(SCRIPT)),
]


def _refusal(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    """What the command line says when it refuses argv (it must exit with status 2)."""
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    return capsys.readouterr().err


def test_every_knob_has_a_dashed_flag_with_its_description(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("COLUMNS", "1000")  # no wrapping, which may break a line at a hyphen
    help_text = build_parser().format_help()

    for name, info in Knobs.model_fields.items():
        assert f"--{name.replace('_', '-')}" in help_text
        assert info.description is not None and info.description in help_text


def test_no_knob_flags_give_the_models_defaults() -> None:
    settings = settings_from_args(build_parser().parse_args([]))

    assert settings.knobs == Knobs()
    assert (settings.host, settings.token) == ("127.0.0.1", "demo-token")


def test_every_knob_can_be_set_by_its_flag() -> None:
    settings = settings_from_args(build_parser().parse_args(EVERY_KNOB_FLAG))

    assert settings.knobs == Knobs(
        latency_ms=5,
        fail_rate=0.25,
        create_commit_fail_rate=0.1,
        fail_statuses=(503, 429),
        retry_after=3,
        max_in_flight=8,
        max_limit=50,
        newest_first=True,
        ignore_offset=True,
        endless=True,
        churn_every=4,
        churn="insert",
        churn_prefix="old-",
        pause_after_create_ms=1500,
        script=(ScriptRule(operation="create_chatbot", answer="drop", commit=True),),
    )


def test_a_boolean_knob_can_be_turned_off_again() -> None:
    args = build_parser().parse_args(["--endless", "--no-endless"])

    assert settings_from_args(args).knobs.endless is False


@pytest.mark.parametrize("value", ["inf", "-inf", "nan", "Infinity"])
@pytest.mark.parametrize("flag", ["--latency-ms", "--pause-after-create-ms", "--fail-rate"])
def test_a_knob_flag_that_is_not_finite_is_refused(
    flag: str, value: str, capsys: pytest.CaptureFixture[str]
) -> None:
    said = _refusal([f"{flag}={value}"], capsys)

    assert f"error: {flag}: Input should be a finite number" in said


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["--latency-ms", "600001"], "--latency-ms: Input should be less than or equal to 600000"),
        (["--retry-after", "9999"], "--retry-after: Input should be less than or equal to 3600"),
        (["--fail-statuses", "200"], "--fail-statuses[0]: Input should be greater than or equal"),
        (["--churn-every", "0"], "--churn-every: Input should be greater than or equal to 1"),
        (["--churn", "shuffle"], "argument --churn: invalid choice: 'shuffle'"),
        (["--script", "drop it"], "--script: not a JSON list"),
        (
            ["--script", '[{"operation": "create_chatbot", "answer": "explode"}]'],
            "--script[0].answer: Input should be 'status', 'drop', 'non_json' or 'hang'",
        ),
        (["--token", ""], "--token: must not be empty or blank"),
        (["--token", "   "], "--token: must not be empty or blank"),
        (["--preload", "-1"], "--preload: must be 0 or more"),
        (["--api-key-prefix", "CANARY\n"], "--api-key-prefix: must be printable ASCII"),
    ],
)
def test_a_bad_flag_value_is_refused_naming_the_flag(
    argv: list[str], expected: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert expected in _refusal(argv, capsys)


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.0.0.2", True),
        ("::1", True),
        ("localhost", True),
        ("0.0.0.0", False),
        ("::", False),
        ("192.168.1.10", False),
        ("emulator.example.com", False),
    ],
)
def test_only_loopback_hosts_count_as_local(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def test_the_dispatcher_rejects_an_unknown_command() -> None:
    with pytest.raises(SystemExit) as exit_info:
        dispatch(["no-such-command"])

    assert exit_info.value.code == 2
