"""The stack files this repository ships are valid."""

from __future__ import annotations

from pathlib import Path

from caigunn_provider.emulator.models import PLANS
from caigunn_provider.kinds import load_stack_file

ROOT = Path(__file__).resolve().parents[2]


def test_dev_stack_declares_two_chatbots_on_emulator_plans() -> None:
    stack = load_stack_file(ROOT / "stacks" / "dev.yaml")
    assert set(stack.section("chatbots")) == {"support", "sales"}
    assert {spec.plan_id for spec in stack.section("chatbots").values()} <= {
        plan.id for plan in PLANS
    }


def test_annotated_example_for_a_real_account_loads() -> None:
    stack = load_stack_file(ROOT / "examples" / "prod.yaml")
    assert stack.section("chatbots")["support"].protect is True
    assert stack.section("chatbots")["sales"].import_ == "2b0c6a4e-8f1d-4c3b-9a7e-5d6f0e1a2b3c"


def test_annotated_example_shows_a_prompt_file_first_messages_and_allowed_domains() -> None:
    settings = (
        load_stack_file(ROOT / "examples" / "prod.yaml").section("chatbots")["support"].settings
    )
    prompt = (ROOT / "examples" / "prompts" / "support.md").read_text(encoding="utf-8")
    assert settings["prompt"] == prompt
    assert settings["initial_messages"] == [
        "Hello! I'm the Example Ltd. support desk.",
        "Ask me about orders, deliveries or returns.",
    ]
    assert settings["allowed_domains"] == ["https://www.example.com", "https://support.example.com"]
    assert set(settings) == {"prompt", "initial_messages", "allowed_domains"}


def test_annotated_example_trains_a_chatbot_from_a_folder_of_markdown_files() -> None:
    support = load_stack_file(ROOT / "examples" / "prod.yaml").section("chatbots")["support"]
    assert support.part("knowledge") is not None
    knowledge = support.part("knowledge")
    files = sorted(str(item.path) for item in knowledge.items if item.kind == "text_file")
    assert files == sorted(
        f"knowledge/{path.name}" for path in (ROOT / "examples" / "knowledge").glob("*.md")
    )
    assert (knowledge.model, support.part("webhook")) == (
        "gpt-4",
        "https://hooks.example.com/caigunn",
    )
