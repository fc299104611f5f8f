"""The KnowledgeItem, Model and Webhook providers' CRUD without the engine, on the emulator."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pulumi.dynamic import Config, ConfigureRequest

from caigunn_provider.chatbot_level.provider import NAME, ChatbotLevelProvider
from caigunn_provider.dynamic.runtime import Runtime
from caigunn_provider.errors import CaiGunnError
from caigunn_provider.kinds.knowledge import digest
from caigunn_provider.kinds.knowledge.provider import KnowledgeItemProvider
from caigunn_provider.kinds.knowledge.rows import KnowledgeRowsProvider
from caigunn_provider.kinds.model.provider import ModelProvider
from caigunn_provider.kinds.model.training import TrainingProvider
from caigunn_provider.kinds.webhook.provider import WebhookProvider
from tests.support import Admin

pytestmark = pytest.mark.parametrize("level", ["current"])

USER_CHATBOT = "/api/external/user/chatbot"


def configured(provider: ChatbotLevelProvider, admin: Admin, **config: str) -> Any:
    values = {"caigunn:accessToken": admin.token, "caigunn:apiUrl": admin.base_url, **config}
    provider.configure(ConfigureRequest(Config(values, "caigunn-chatbots")))
    return provider


def a_chatbot(admin: Admin) -> tuple[str, str]:
    chatbot_id = admin.create("Support")
    [row] = [row for row in admin.rows() if row["id"] == chatbot_id]
    return chatbot_id, str(row["api_key"])


def info(admin: Admin, chatbot_id: str) -> dict[str, Any]:
    answer: dict[str, Any] = admin.call("GET", f"{USER_CHATBOT}/{chatbot_id}").json()
    return answer


def text_item(chatbot_id: str, api_key: str, text: str) -> dict[str, Any]:
    return {
        "chatbot_id": chatbot_id,
        "api_key": api_key,
        "kind": "text",
        "digest": digest.of_text(text),
        "text": text,
        NAME: f"support/text:{digest.of_text(text)[:12]}",
    }


def posts(admin: Admin, suffix: str) -> int:
    return len([e for e in admin.requests("POST") if e["path"].endswith(suffix)])


def test_a_text_item_is_created_read_and_deleted_and_a_deleted_one_reads_as_gone(
    admin: Admin,
) -> None:
    chatbot_id, key = a_chatbot(admin)
    items = configured(KnowledgeItemProvider(Runtime()), admin)
    made = items.create(items.check({}, text_item(chatbot_id, key, "Hello")).inputs)
    assert made.outs["ids"] == [made.id]
    read = items.read(made.id, made.outs)
    assert read.id == made.id and read.outs["titles"]
    items.delete(made.id, made.outs)
    items.delete(made.id, made.outs)  # a 404 is done
    assert items.read(made.id, made.outs).id is None


def test_a_file_that_changed_since_the_plan_is_refused_before_any_upload(
    admin: Admin, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    chatbot_id, key = a_chatbot(admin)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a.md").write_text("new content")
    props = {
        "chatbot_id": chatbot_id,
        "api_key": key,
        "kind": "text_file",
        "digest": digest.of_text("old content"),
        "path": "a.md",
        NAME: "support/text_file:a.md",
    }
    items = configured(KnowledgeItemProvider(Runtime()), admin)
    admin.clear_requests()
    with pytest.raises(CaiGunnError, match=r"^support/text_file:a.md: a.md changed after this run"):
        items.create(props)
    assert admin.requests("POST") == []


def test_a_failed_upload_names_the_item_and_the_detail(
    admin: Admin, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    chatbot_id, key = a_chatbot(admin)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "m.pdf").write_bytes(b"%PDF")
    admin.set_knobs(fail_upload="Unsupport file format", work_ms=10)
    props = {
        "chatbot_id": chatbot_id,
        "api_key": key,
        "kind": "file",
        "digest": digest.of_bytes(b"%PDF"),
        "path": "m.pdf",
        NAME: "support/file:m.pdf",
    }
    # The item's create only posts (its event is then in the state); its rows' wait fails.
    made = configured(KnowledgeItemProvider(Runtime()), admin).create(props)
    assert made.outs["event_id"] and made.outs["rows_apart"] and made.outs["ids"] == []
    with pytest.raises(CaiGunnError) as caught:
        configured(KnowledgeRowsProvider(Runtime()), admin).create(rows_inputs(made.outs))
    assert str(caught.value).startswith("support/file:m.pdf: CaiGunn could not upload m.pdf: ")
    assert "Unsupport file format" in str(caught.value)
    assert key not in str(caught.value)


def rows_inputs(item: dict[str, Any]) -> dict[str, Any]:
    """A KnowledgeRows' inputs from its item's outputs, as the resource wires them."""
    keys = ("chatbot_id", "api_key", "event_id", "kind", "path", "website", "single_page", NAME)
    return {**{key: item.get(key) for key in keys}, "item_ids": item["ids"]}


def file_item(chatbot_id: str, api_key: str, tmp_path: Path) -> dict[str, Any]:
    (tmp_path / "m.pdf").write_bytes(b"%PDF")
    return {
        "chatbot_id": chatbot_id,
        "api_key": api_key,
        "kind": "file",
        "digest": digest.of_bytes(b"%PDF"),
        "path": "m.pdf",
        NAME: "support/file:m.pdf",
    }


def test_a_file_is_posted_once_and_its_rows_are_waited_for_apart(
    admin: Admin, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    chatbot_id, key = a_chatbot(admin)
    monkeypatch.chdir(tmp_path)
    admin.set_knobs(work_ms=10)
    items = configured(KnowledgeItemProvider(Runtime()), admin)
    rows = configured(KnowledgeRowsProvider(Runtime()), admin)
    made = items.create(file_item(chatbot_id, key, tmp_path))
    assert made.id == made.outs["event_id"]
    held = rows.create(rows_inputs(made.outs))
    assert held.outs["ids"] and set(held.outs["ids"]) == {r["id"] for r in admin_rows(admin)}
    # Done: neither the item nor its rows change, and nothing is posted again.
    assert not items.diff(made.id, made.outs, made.outs).changes
    assert not rows.diff(held.id, held.outs, rows_inputs(made.outs)).changes
    assert posts(admin, "/training_data") == 1
    # Its rows held by its KnowledgeRows (read from the checkpoint): an event CaiGunn forgot
    # since is not looked at, and never makes a second upload.
    forgotten = {**made.outs, "event_id": "00000000-0000-4000-8000-000000000000"}
    news = {**made.outs, "held_ids": held.outs["ids"]}
    admin.clear_requests()
    assert not items.diff(made.id, forgotten, news).changes
    assert items.update(made.id, forgotten, news).outs["event_id"] == forgotten["event_id"]
    assert not [r for r in admin.requests() if "/event/" in r["path"]]
    assert posts(admin, "/training_data") == 0
    # Its rows deleted outside Pulumi: the item is replaced (posted again).
    for row_id in held.outs["ids"]:
        rows._api(held.outs).delete_training_data(row_id)
    later = configured(KnowledgeItemProvider(Runtime()), admin)  # the next run reads them anew
    assert later.diff(made.id, made.outs, made.outs).replaces == ["ids"]
    again = configured(KnowledgeItemProvider(Runtime()), admin)
    assert again.diff(made.id, forgotten, news).replaces == ["ids"], "held rows gone: replaced"
    rows.delete(held.id, held.outs)  # its rows already gone: a 404 is done


def test_a_failed_upload_is_posted_again_once_and_a_running_one_never(
    admin: Admin, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    chatbot_id, key = a_chatbot(admin)
    monkeypatch.chdir(tmp_path)
    admin.set_knobs(work_ms=60_000)
    items = configured(KnowledgeItemProvider(Runtime()), admin)
    made = items.create(file_item(chatbot_id, key, tmp_path))
    assert not items.diff(made.id, made.outs, made.outs).changes, "still at work: no retry"
    assert items.update(made.id, made.outs, made.outs).outs["event_id"] == made.outs["event_id"]
    assert posts(admin, "/training_data") == 1
    forgotten = {**made.outs, "event_id": "00000000-0000-4000-8000-000000000000"}
    assert items.diff(made.id, forgotten, made.outs).changes, "an unknown event: posted again"
    again = items.update(made.id, forgotten, made.outs).outs
    assert again["event_id"] not in (None, made.outs["event_id"], forgotten["event_id"])
    assert posts(admin, "/training_data") == 2


def admin_rows(admin: Admin) -> list[dict[str, Any]]:
    [chatbot_id] = admin.chatbots()
    found: list[dict[str, Any]] = admin.call(
        "GET", f"/_emulator/chatbots/{chatbot_id}/knowledge"
    ).json()["training_data"]
    return found


def model_inputs(training: dict[str, Any]) -> dict[str, Any]:
    """The Model's inputs from its Training's outputs, as the resource wires them."""
    return {
        "chatbot_id": training["chatbot_id"],
        "model_name": training["model_name"],
        "training_data_ids": training["training_data_ids"],
        "ready_model_id": training["model_id"],
        "event_id": training["event_id"],
        "title": training["title"],
        "rows": training.get("rows"),
        NAME: training[NAME],
    }


def test_a_model_trains_once_and_the_same_set_is_never_trained_again(admin: Admin) -> None:
    chatbot_id, key = a_chatbot(admin)
    admin.set_knobs(work_ms=10)
    items = configured(KnowledgeItemProvider(Runtime()), admin)
    row = items.create(text_item(chatbot_id, key, "Hello")).outs["ids"]
    news = {"chatbot_id": chatbot_id, "api_key": key, "training_data_ids": row, NAME: "support"}
    training = configured(TrainingProvider(Runtime()), admin)
    started = training.create(training.check({}, news).inputs).outs
    # The Training step only starts the training: its event is recorded, nothing waited for.
    assert started["event_id"] and started["model_id"] is None
    assert posts(admin, "/chatbot/model") == 1
    first = configured(ModelProvider(Runtime()), admin).create(model_inputs(started)).outs
    assert info(admin, chatbot_id)["model"]["id"] == first["model_id"]
    # A state lost after the training: the model trained on exactly these rows is found.
    again = configured(TrainingProvider(Runtime()), admin).create(news).outs
    assert (again["model_id"], again["event_id"]) == (first["model_id"], None)
    assert posts(admin, "/chatbot/model") == 1
    # Naming the API's default model is the same training.
    named = configured(TrainingProvider(Runtime()), admin)
    assert named.create({**news, "model_name": "PaLM2"}).outs["model_id"] == first["model_id"]
    assert posts(admin, "/chatbot/model") == 1


def test_a_model_is_reused_only_while_it_was_trained_on_exactly_the_rows_there_are(
    admin: Admin,
) -> None:
    chatbot_id, key = a_chatbot(admin)
    admin.set_knobs(work_ms=10)
    items = configured(KnowledgeItemProvider(Runtime()), admin)
    mine = items.create(text_item(chatbot_id, key, "Hello")).outs["ids"]
    by_hand = items.create(text_item(chatbot_id, key, "a sensitive document")).outs
    news = {"chatbot_id": chatbot_id, "api_key": key, "training_data_ids": mine, NAME: "support"}
    started = configured(TrainingProvider(Runtime()), admin).create(news).outs
    configured(ModelProvider(Runtime()), admin).create(model_inputs(started))
    assert posts(admin, "/chatbot/model") == 1
    # The hand-made row is deleted: the model that holds it is not right any more.
    items.delete(chatbot_id, by_hand)
    again = configured(TrainingProvider(Runtime()), admin).create(news).outs
    assert again["model_id"] is None and again["event_id"]
    assert posts(admin, "/chatbot/model") == 2


def test_a_model_unset_outside_pulumi_is_found_by_read_and_put_back_without_training(
    admin: Admin,
) -> None:
    chatbot_id, key = a_chatbot(admin)
    admin.set_knobs(work_ms=10)
    row = configured(KnowledgeItemProvider(Runtime()), admin).create(
        text_item(chatbot_id, key, "Hi")
    )
    news = {
        "chatbot_id": chatbot_id,
        "api_key": key,
        "training_data_ids": row.outs["ids"],
        NAME: "support",
    }
    started = configured(TrainingProvider(Runtime()), admin).create(news).outs
    model = configured(ModelProvider(Runtime()), admin)
    outs = model.create(model_inputs(started)).outs
    answer = admin.call("PATCH", f"/_emulator/chatbots/{chatbot_id}", json={"model_id": None})
    assert answer.status_code == 200, answer.text
    read = model.read(chatbot_id, outs).outs
    assert read["active_model_id"] is None
    assert model.diff(chatbot_id, read, model_inputs(started)).changes is True
    admin.clear_requests()
    fixed = model.update(chatbot_id, read, model_inputs(started)).outs
    assert fixed["active_model_id"] == outs["model_id"]
    assert info(admin, chatbot_id)["model"]["id"] == outs["model_id"]
    assert posts(admin, "/chatbot/model") == 0


def test_preview_names_the_rows_this_stack_did_not_create_by_id_and_type_only(
    admin: Admin, capsys: pytest.CaptureFixture[str]
) -> None:
    chatbot_id, key = a_chatbot(admin)
    items = configured(KnowledgeItemProvider(Runtime()), admin)
    by_hand = items.create(text_item(chatbot_id, key, "made by hand")).outs["ids"]
    mine = items.create(text_item(chatbot_id, key, "Hello")).outs["ids"]
    news = {"chatbot_id": chatbot_id, "api_key": key, "training_data_ids": mine, NAME: "support"}
    olds: dict[str, Any] = {"chatbot_id": chatbot_id, "api_key": key, "trained_ids": []}
    diff = configured(TrainingProvider(Runtime()), admin).diff(chatbot_id, olds, news)
    assert diff.changes is True
    said = capsys.readouterr().err
    assert "support: 1 row(s) of training data that this stack did not create exist" in said
    assert f"{by_hand[0]} (text)" in said
    assert "made by hand" not in said, "a row's text never reaches the log"


def test_a_webhook_is_set_read_back_and_removed(admin: Admin) -> None:
    chatbot_id, key = a_chatbot(admin)
    hooks = configured(WebhookProvider(Runtime()), admin)
    props = {"chatbot_id": chatbot_id, "api_key": key, "url": "https://hooks.example.com/a"}
    assert hooks.check({}, {**props, "url": "http://hooks.example.com/a"}).failures
    outs = hooks.create(hooks.check({}, props).inputs).outs
    assert info(admin, chatbot_id)["webhook_url"] == "https://hooks.example.com/a"
    assert hooks.read(chatbot_id, outs).outs["url"] == "https://hooks.example.com/a"
    hooks.delete(chatbot_id, outs)
    assert hooks.read(chatbot_id, outs).outs["url"] is None
    hooks.delete(chatbot_id, outs)  # none set is done


def test_a_wrong_api_key_is_refused_and_never_quoted(admin: Admin) -> None:
    chatbot_id, _ = a_chatbot(admin)
    wrong = "wrong-key-0123456789abcdef"
    with pytest.raises(CaiGunnError) as caught:
        configured(KnowledgeItemProvider(Runtime()), admin).create(
            text_item(chatbot_id, wrong, "Hi")
        )
    assert "refused the access token or the chatbot's api_key" in str(caught.value)
    assert wrong not in str(caught.value)


def test_an_adopted_chatbot_gets_back_the_webhook_and_model_it_had_when_they_are_deleted(
    admin: Admin,
) -> None:
    # A chatbot made outside the stack, with a webhook and a model of its own, is adopted.
    chatbot_id, key = a_chatbot(admin)
    admin.set_knobs(work_ms=10)
    items = configured(KnowledgeItemProvider(Runtime()), admin)
    theirs = items.create(text_item(chatbot_id, key, "their own text")).outs["ids"]
    news = {"chatbot_id": chatbot_id, "api_key": key, "training_data_ids": theirs, NAME: "x"}
    started = configured(TrainingProvider(Runtime()), admin).create(news).outs
    their_model = configured(ModelProvider(Runtime()), admin).create(model_inputs(started)).outs
    hooks = configured(WebhookProvider(Runtime()), admin)
    hooks.create({"chatbot_id": chatbot_id, "api_key": key, "url": "https://theirs.example.com/"})
    assert info(admin, chatbot_id)["model"]["id"] == their_model["model_id"]

    # The stack sets its own webhook and trains its own model.
    hook = hooks.create({"chatbot_id": chatbot_id, "api_key": key, "url": "https://ours.example/"})
    mine = items.create(text_item(chatbot_id, key, "our text")).outs["ids"]
    ours = {**news, "training_data_ids": sorted([*theirs, *mine])}
    started = configured(TrainingProvider(Runtime()), admin).create(ours).outs
    model = configured(ModelProvider(Runtime()), admin)
    our_model = model.create(model_inputs(started)).outs
    assert our_model["model_id"] != their_model["model_id"]
    assert info(admin, chatbot_id)["webhook_url"] == "https://ours.example/"

    # Destroy keeps the adopted chatbot: the Webhook's and the Model's deletes restore it.
    hooks.delete(chatbot_id, hook.outs)
    model.delete(chatbot_id, our_model)
    after = info(admin, chatbot_id)
    assert after["webhook_url"] == "https://theirs.example.com/"
    assert after["model"]["id"] == their_model["model_id"]


def test_a_training_that_used_other_rows_is_not_put_into_service_and_the_next_run_trains_again(
    admin: Admin,
) -> None:
    chatbot_id, key = a_chatbot(admin)
    admin.set_knobs(work_ms=10)
    items = configured(KnowledgeItemProvider(Runtime()), admin)
    mine = items.create(text_item(chatbot_id, key, "Hello")).outs["ids"]
    news = {"chatbot_id": chatbot_id, "api_key": key, "training_data_ids": mine, NAME: "support"}
    started = configured(TrainingProvider(Runtime()), admin).create(news).outs
    assert started["rows"] == mine
    # As if a row had come and gone between the Training's look and CaiGunn's training (another
    # training of this chatbot ran meanwhile): the rows it recorded are not those trained on.
    skewed = {**started, "rows": sorted([*mine, "00000000-0000-4000-8000-000000000000"])}
    with pytest.raises(CaiGunnError) as caught:
        configured(ModelProvider(Runtime()), admin).create(
            {**model_inputs(skewed), "rows": skewed["rows"]}
        )
    assert "was not put into service" in str(caught.value)
    assert (info(admin, chatbot_id).get("model") or {}).get("id") is None
    training = configured(TrainingProvider(Runtime()), admin)
    assert training.diff(chatbot_id, skewed, news).changes is True
    assert training.diff(chatbot_id, started, news).changes is False


def test_an_outage_during_the_training_wait_says_a_rerun_resumes_it_and_the_rerun_does(
    admin: Admin,
) -> None:
    chatbot_id, key = a_chatbot(admin)
    admin.set_knobs(work_ms=10)
    mine = configured(KnowledgeItemProvider(Runtime()), admin).create(
        text_item(chatbot_id, key, "Hello")
    )
    news = {"chatbot_id": chatbot_id, "api_key": key, "training_data_ids": mine.outs["ids"]}
    started = configured(TrainingProvider(Runtime()), admin).create({**news, NAME: "s"}).outs
    # Every look at the event fails, retries included: the wait is cut off.
    admin.set_knobs(script=[{"operation": "get_event", "answer": "drop", "times": 50}])
    with pytest.raises(CaiGunnError) as caught:
        configured(ModelProvider(Runtime()), admin).create(model_inputs(started))
    said = str(caught.value)
    assert "the wait for the training was cut off" in said
    assert "resumes waiting for the same one, at no extra cost" in said
    admin.set_knobs(script=[])
    served = configured(ModelProvider(Runtime()), admin).create(model_inputs(started)).outs
    assert info(admin, chatbot_id)["model"]["id"] == served["model_id"]
    assert posts(admin, "/chatbot/model") == 1


def test_rows_already_held_for_the_same_event_are_kept_without_a_request(admin: Admin) -> None:
    chatbot_id, key = a_chatbot(admin)
    rows = configured(KnowledgeRowsProvider(Runtime()), admin)
    forgotten = "00000000-0000-4000-8000-000000000000"
    row = "11111111-1111-4111-8111-111111111111"
    olds = {**rows_inputs({"chatbot_id": chatbot_id, "api_key": key, "ids": []}), "ids": [row]}
    olds["event_id"] = forgotten
    news = {**olds, "api_key": key + "x"}
    del news["ids"]
    admin.clear_requests()
    assert rows.update(forgotten, olds, news).outs["ids"] == [row]
    assert admin.requests() == []
