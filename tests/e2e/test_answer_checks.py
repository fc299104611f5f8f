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
from tests.support import BASIC, Admin, emulator, wait_for

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
    assert "support: the answer checks spent 1 message(s) of the plan" in project.up()
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
    admin.set_knobs(script=[{"operation": "talk", "answer": "status", "status": 503}])
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
    # The two questions go out side by side; the round stops at the failure, so the second is
    # sent or not depending on which came first, and neither is ever sent again.
    assert 1 <= talks <= 2, f"no talk is sent again after a failure ({talks})"

    # A further up writes nothing and asks nothing: it fails with the recorded report.
    admin.clear_requests()
    again = project.up(ok=False)
    assert "could not be asked" in again
    assert writes(admin) == []
    assert serving_model_id(admin) == first_model


def test_a_run_killed_while_a_candidate_is_checked_puts_the_accepted_model_back_first(
    tmp_path: Path,
) -> None:
    with emulator("current", work_ms=100) as admin:
        project = make_project(tmp_path / "project", admin)
        write_stack_file(project, stack("30", "30 days"))
        project.up()
        accepted = serving_model_id(admin)

        # Talks now take 20 s: the kill lands while the candidate serves and is being asked.
        admin.set_knobs(talk_latency_ms=20_000)
        write_stack_file(project, stack("14", "30 days"))
        with project.start("up", "--yes", "--skip-preview") as run:
            wait_for(lambda: serving_model_id(admin) != accepted, "the candidate to be switched in")
            run.kill_engine()
        candidate = serving_model_id(admin)
        assert candidate != accepted, "the kill landed between the switch and the put-back"
        assert count(admin, "POST", TALK) <= 1, "at most the one talk in flight was sent"

        admin.set_knobs(talk_latency_ms=0)
        project.run("cancel", "--yes")
        admin.clear_requests()
        rerun = project.up(ok=False)
        assert "the accepted model and prompt go back first" in rerun
        assert count(admin, "POST", TRAIN) == 0, "the killed run's training is not repeated"
        assert 'icontains "30 days"' in rerun, "the candidate was then checked and rejected"
        assert serving_model_id(admin) == accepted
        assert "30 days" in ask(admin)


def test_report_mode_asks_and_reports_but_keeps_the_candidate_and_preview_says_so(
    checked: tuple[PulumiProject, Admin],
) -> None:
    project, admin = checked
    write_stack_file(project, stack("30", "30 days", extra_check=SHIPPING_CHECK))
    preview = project.run("preview").stdout
    assert "support: 2 answer check(s) (enforce) gate a new model or prompt" in preview
    assert "spends up to 2 message(s)" in preview
    project.up()

    project.config_set("caigunn:checksMode", "report")
    write_stack_file(project, stack("14", "30 days", extra_check=SHIPPING_CHECK))
    assert "(report) are asked and reported" in project.run("preview").stdout
    admin.clear_requests()
    done = project.up()
    assert "1 of 2 answer check(s) failed" in done and "it keeps serving" in done
    assert "14 days" in ask(admin), "report mode never puts back"
    outputs = project.outputs()["answer_checks"]["support"]
    assert outputs["mode"] == "report" and outputs["passed"] is False
    assert outputs["rejected"] is None and outputs["messages_spent"] == 2

    admin.clear_requests()
    project.up("--expect-no-changes")
    assert count(admin, "POST", TALK) == 0, "a reported candidate is not asked again"


CRAWLED = "https://help.example.com/returns"
MOVED = "https://help.example.com/returns-moved"


def crawled_stack(website: str) -> str:
    return f"""\
chatbots:
  support:
    title: Support Desk
    plan_id: {BASIC}
    knowledge:
      - website: {website}
        single_page: true
      - text: We ship worldwide from Taipei.
    model: gpt-4
    checks:
      - ask: {QUESTION}
        expect:
          icontains: 30 days
"""


def test_a_knowledge_edit_that_leaves_a_crawl_empty_fails_a_positive_check(
    checked: tuple[PulumiProject, Admin],
) -> None:
    project, admin = checked
    # The moved page came back empty: the crawl makes its row, with nothing on it. (A crawl that
    # makes no row at all is refused before any training: tests/e2e/test_knowledge*.py.)
    admin.set_knobs(
        site_pages={CRAWLED: "Returns are accepted within 30 days.", MOVED: "Page not found."}
    )
    write_stack_file(project, crawled_stack(CRAWLED))
    project.up()
    first_model = serving_model_id(admin)
    assert "30 days" in ask(admin)

    write_stack_file(project, crawled_stack(MOVED))
    failed = project.up(ok=False)
    assert QUESTION in failed and 'icontains "30 days"' in failed
    assert serving_model_id(admin) == first_model
    assert "30 days" in ask(admin)


def test_an_adoption_only_reports_and_the_next_run_checks_what_is_declared(
    checked: tuple[PulumiProject, Admin],
) -> None:
    project, admin = checked
    chatbot_id = admin.create("Support Desk")
    before = chatbot(admin)["prompt"]
    declared = "Always answer: Returns are accepted within 30 days."
    write_stack_file(
        project,
        f"""\
chatbots:
  support:
    import: {chatbot_id}
    title: Support Desk
    plan_id: {BASIC}
    prompt: "{declared}"
    checks:
      - ask: {QUESTION}
        expect:
          icontains: 30 days
""",
    )
    adopted = project.up()
    assert "the run adopts the chatbot: checks are reported, not enforced" in adopted
    assert chatbot(admin)["prompt"] == before, "the adopting run changes nothing"
    assert count(admin, "POST", TALK) == 1

    admin.clear_requests()
    project.up()
    assert chatbot(admin)["prompt"] == declared
    assert count(admin, "POST", TALK) == 1
    assert "30 days" in ask(admin)
    assert project.outputs()["answer_checks"]["support"]["passed"] is True
