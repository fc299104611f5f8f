"""Chatbot-level modules: each file of chatbot_routes/ is found, and what it declares is served,
scriptable, documented, stored, shown and editable without a line elsewhere."""

from __future__ import annotations

from pathlib import Path

import pytest

from caigunn_provider.emulator import chatbot_routes
from caigunn_provider.emulator.chatbot_module import ChatbotColumn
from caigunn_provider.emulator.chatbot_routes import COLUMNS, MODULES
from caigunn_provider.emulator.knobs import ScriptRule
from caigunn_provider.emulator.models import ChatbotBackend
from caigunn_provider.emulator.urls import ROUTES
from tests.support import Admin

MODULE_FILES = sorted(
    path.stem for path in Path(chatbot_routes.__file__).parent.glob("*.py") if path.stem[0] != "_"
)


def test_every_file_of_the_package_is_a_module_found_in_name_order() -> None:
    assert {"opentalk", "webhook"} <= set(MODULE_FILES)
    assert [module.name for module in MODULES] == MODULE_FILES


def test_each_module_route_is_in_the_table_at_the_current_level_only_and_scriptable() -> None:
    declared = [(m.name, r.method, r.path, r.operation) for m in MODULES for r in m.routes]
    in_table = [
        (spec.module, spec.method, spec.path.removeprefix("/api/external/chatbot"), spec.operation)
        for spec in ROUTES
        if spec.module is not None
    ]

    assert in_table == declared
    assert {spec.levels for spec in ROUTES if spec.module is not None} == {("current",)}
    for _, _, _, operation in declared:
        ScriptRule(operation=operation, answer="status")  # refused if not an operation


def test_a_script_rule_for_an_operation_no_route_has_is_refused() -> None:
    with pytest.raises(ValueError, match="not the operation of a CaiGunn route"):
        ScriptRule(operation="bind_everything", answer="status")


def test_the_admin_view_shows_every_module_column_at_either_level(admin: Admin) -> None:
    chatbot_id = admin.create("plain")

    (row,) = [row for row in admin.rows() if row["id"] == chatbot_id]

    assert {column.name: row[column.name] for column in COLUMNS} == dict.fromkeys(
        (column.name for column in COLUMNS), None
    )


def test_a_store_made_before_a_module_existed_gains_its_column(tmp_path: Path) -> None:
    db = str(tmp_path / "old.db")
    old = ChatbotBackend(db, extra_columns=["webhook_url"])
    chatbot = old.create_chatbot("kept", "3fa85f64-5717-4562-b3fc-2c963f66afa6")
    old.set_extras(chatbot.id, {"webhook_url": "https://hooks.example.com/a"})
    old.close()

    new = ChatbotBackend(db, extra_columns=["webhook_url", "opentalk_device_id"])
    new.set_extras(chatbot.id, {"opentalk_device_id": "desk-phone-1"})

    assert new.extras(chatbot.id) == {
        "next_plan_id": None,
        "webhook_url": "https://hooks.example.com/a",
        "opentalk_device_id": "desk-phone-1",
    }
    with pytest.raises(KeyError):
        new.set_extras(chatbot.id, {"device": "x"})
    new.close()


def test_a_column_name_must_be_an_identifier() -> None:
    with pytest.raises(ValueError, match="not an identifier"):
        ChatbotColumn("device id; DROP TABLE chatbots", str)  # it becomes an SQL column
