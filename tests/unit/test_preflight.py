"""The pre-flight's checks of the entries against what the account's API level offers."""

from __future__ import annotations

from pathlib import Path

import pytest

from caigunn_provider.client import CaiGunnClient
from caigunn_provider.errors import StackFileError
from caigunn_provider.preflight import Account, check_entries
from caigunn_provider.stackfile import load_stack_file
from tests.support import BASIC


def test_at_the_seed_level_settings_are_refused_as_the_entry_writes_them(tmp_path: Path) -> None:
    (tmp_path / "prompts").mkdir()
    (tmp_path / "prompts" / "support.md").write_text("Be brief.\n")
    path = tmp_path / "prod.yaml"
    path.write_text(
        "chatbots:\n"
        "  support:\n"
        "    title: Support\n"
        f"    plan_id: {BASIC}\n"
        "    prompt_file: prompts/support.md\n"
        "    main_color: '#1A2B3C'\n"
        "    initial_messages: [Hi!]\n"
    )
    seed = Account(CaiGunnClient("http://127.0.0.1:9", "unused"), "seed", [])

    with pytest.raises(StackFileError) as caught:
        check_entries(load_stack_file(path), seed)

    # The prompt comes from prompt_file: the message names that key, at its line.
    assert str(caught.value) == (
        f"{path}:5: chatbots.support.prompt_file: chatbot settings (prompt_file, main_color, "
        "initial_messages) need the current CaiGunn API, and this one offers only list and "
        "create; remove them from the entry"
    )
