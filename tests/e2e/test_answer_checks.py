"""Answer checks gate what a chatbot serves (issue 29), on the real engine against the emulator.

The emulator answers from the serving model's training data and the prompt (docs/emulator.md,
"Conversations"), so a model trained on other texts, or a prompt line, changes the answers.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import make_project, write_stack_file
from tests.e2e.pulumi_cli import PulumiProject
from tests.support import BASIC, Admin, emulator

pytestmark = pytest.mark.e2e

CHATBOT_API = "/api/external/chatbot"
TRAIN = f"{CHATBOT_API}/model"
TALK = f"{CHATBOT_API}/talk"
QUESTION = "How many days do I have for returns?"


def stack(days: str, expect: str, *, prompt: str | None = None, extra_check: str = "") -> str:
    prompt_line = f'    prompt: "{prompt}"\n' if prompt else ""
    return f"""\
chatbots:
  support:
    title: Support Desk
    plan_id: {BASIC}
{prompt_line}    knowledge:
      - text: Returns are accepted within {days} days of delivery.
      - text: We ship worldwide from Taipei.
    model: gpt-4
    checks:
      - ask: {QUESTION}
        expect:
          icontains: {expect}
{extra_check}"""


SHIPPING_CHECK = """\
      - ask: Where do you ship from?
        expect:
          icontains: taipei
"""


def chatbot(admin: Admin) -> dict[str, Any]:
    [chatbot_id] = admin.chatbots()
    info: dict[str, Any] = admin.call("GET", f"/api/external/user/chatbot/{chatbot_id}").json()
    return info


def serving_model_id(admin: Admin) -> str:
    return str((chatbot(admin).get("model") or {}).get("id"))


def ask(admin: Admin, question: str = QUESTION) -> str:
    """A customer's question, as the chatbot answers it now."""
    headers = {
        "caigunn-access-token": admin.token,
        "api-key": chatbot(admin)["api_key"],
        "uid": uuid.uuid4().hex,
    }
    response = admin.session.post(
        admin.base_url + TALK,
        params={"nickname": "customer"},
        json={"text": question},
        headers=headers,
        timeout=30,
    )
    assert response.status_code == 200, response.text
    return str(response.json()["text"])


def count(admin: Admin, method: str, path: str) -> int:
    return len([r for r in admin.requests(method) if r["path"].startswith(path)])


def writes(admin: Admin) -> list[dict[str, Any]]:
    return [r for r in admin.requests() if r["method"] != "GET"]


@pytest.fixture
def checked(tmp_path: Path) -> Iterator[tuple[PulumiProject, Admin]]:
    with emulator("current", work_ms=100) as admin:
        yield make_project(tmp_path / "project", admin), admin


def test_a_failing_model_never_stays_and_nothing_is_spent_twice(
    checked: tuple[PulumiProject, Admin],
) -> None:
    project, admin = checked
    write_stack_file(project, stack("30", "30 days"))
    project.up()
    first_model = serving_model_id(admin)
    assert "30 days" in ask(admin), "a passing set serves after up"
    outputs = project.outputs()["answer_checks"]["support"]
    assert outputs["passed"] is True and outputs["model_id"] == first_model
    assert outputs["messages_spent"] == 1 and outputs["rejected"] is None

    # A knowledge edit whose model fails the check: the up fails, the old model serves on.
    write_stack_file(project, stack("14", "30 days"))
    admin.clear_requests()
    failed = project.up(ok=False)
    assert count(admin, "POST", TRAIN) == 1, "the new model was trained once"
    assert "support" in failed and QUESTION in failed and 'icontains "30 days"' in failed
    assert "14 days" in failed, "the report shows the candidate's answer"
    assert serving_model_id(admin) == first_model
    assert "30 days" in ask(admin), "the answers come from the old model"

    # A rerun with nothing changed: nothing trained, nothing asked, the same report.
    admin.clear_requests()
    again = project.up(ok=False)
    assert count(admin, "POST", TRAIN) == 0 and count(admin, "POST", TALK) == 0
    assert 'icontains "30 days"' in again and QUESTION in again
    assert writes(admin) == []

    # Fixing the check alone: the recorded candidate is tried again, with no training.
    write_stack_file(project, stack("14", "14 days"))
    admin.clear_requests()
    project.up()
    assert count(admin, "POST", TRAIN) == 0
    assert count(admin, "POST", TALK) == 1
    assert serving_model_id(admin) != first_model
    assert "14 days" in ask(admin)

    # A further up writes nothing.
    admin.clear_requests()
    project.up("--expect-no-changes")
    assert writes(admin) == []


def test_a_prompt_edit_that_fails_is_put_back_with_the_same_report(
    checked: tuple[PulumiProject, Admin],
) -> None:
    project, admin = checked
    write_stack_file(project, stack("30", "30 days", prompt="Start every answer with: Hello."))
    project.up()
    assert ask(admin).startswith("Hello.")
    before = chatbot(admin)["prompt"]

    write_stack_file(project, stack("30", "30 days", prompt="Always answer: Please call us."))
    admin.clear_requests()
    failed = project.up(ok=False)
    assert count(admin, "POST", TRAIN) == 0, "a prompt edit trains nothing"
    assert QUESTION in failed and 'icontains "30 days"' in failed
    assert "Please call us." in failed
    assert chatbot(admin)["prompt"] == before, "the previous prompt is back"
    assert ask(admin).startswith("Hello.")


def test_a_talk_that_fails_mid_check_leaves_the_previous_model_serving_as_unchecked(
    checked: tuple[PulumiProject, Admin],
) -> None:
    project, admin = checked
    write_stack_file(project, stack("30", "30 days", extra_check=SHIPPING_CHECK))
    project.up()
    first_model = serving_model_id(admin)

    # The second talk of the next round is answered 503: the round cannot be finished.
    admin.set_knobs(
        script=[{"operation": "talk", "answer": "status", "status": 503, "after_operation": "talk"}]
    )
    write_stack_file(
        project,
        stack("30", "30 days", extra_check=SHIPPING_CHECK).replace(
            "Taipei", "Taipei and Kaohsiung"
        ),
    )
    admin.clear_requests()
    failed = project.up(ok=False)
    assert admin.knobs()["script"] == [], "the scripted failure was served"
    assert "could not be asked" in failed
    assert serving_model_id(admin) == first_model
    talks = count(admin, "POST", TALK)
    assert talks == 2, f"no talk is sent again after a failure ({talks})"

    # A further up writes nothing and asks nothing: it fails with the recorded report.
    admin.clear_requests()
    again = project.up(ok=False)
    assert "could not be asked" in again
    assert writes(admin) == []
    assert serving_model_id(admin) == first_model
