"""stop(): the message as an error diagnostic, then the language host's "already reported" exit."""

from __future__ import annotations

import pytest

from caigunn_provider.clean_stop import ALREADY_REPORTED, stop


def test_stop_reports_the_message_and_exits_with_the_already_reported_code(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as exited:
        stop("invalid stack file:\nstacks/dev.yaml:4: something")
    # The pinned Python language host (v3.68.0) answers Bail for exactly this code.
    assert exited.value.code == ALREADY_REPORTED == 32
    # Outside the engine the SDK prints the diagnostic; under it, the same call is an RPC.
    assert capsys.readouterr().err == "error: invalid stack file:\nstacks/dev.yaml:4: something\n"
