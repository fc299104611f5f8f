"""The chatbot-level API: training data, background events, models, webhook, plan limits."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import pytest

from tests.support import CHATBOT_PATH, PRO, UNKNOWN_ID, emulator

from .knowledge_calls import Bot, make_bot


@pytest.fixture
def bot() -> Iterator[Bot]:
    """A chatbot on the Basic plan of a fresh current-level emulator; background work 30 ms."""
    with emulator("current", work_ms=30) as admin:
        yield make_bot(admin)


# The api-key


def test_a_call_without_the_api_key_answers_401_with_a_detail(bot: Bot) -> None:
    response = bot.call("GET", "/training_data", api_key="")

    assert (response.status_code, response.json()) == (401, {"detail": "Missing api-key header"})


def test_a_wrong_api_key_answers_401_without_echoing_it(bot: Bot) -> None:
    response = bot.call("GET", "/training_data", api_key="not-a-key-0123")

    assert (response.status_code, response.json()) == (401, {"detail": "Invalid api-key"})


def test_the_access_token_is_checked_before_the_api_key(bot: Bot) -> None:
    response = bot.admin.session.get(
        bot.admin.base_url + "/api/external/chatbot/training_data",
        headers={"api-key": bot.api_key},
        timeout=30,
    )

    assert response.status_code == 401
    assert "caigunn-access-token" in response.json()["detail"]


def test_the_api_key_of_a_deleted_chatbot_is_refused(bot: Bot) -> None:
    bot.admin.delete_out_of_band(bot.id)

    assert bot.call("GET", "/training_data").status_code == 401


def test_each_chatbot_sees_only_its_own_training_data(bot: Bot) -> None:
    other = make_bot(bot.admin, "other")
    bot.add_text("mine")

    assert other.rows() == []


# Training data


def test_text_answers_an_id_and_its_row_exists_at_once_titled_by_its_first_30_characters(
    bot: Bot,
) -> None:
    text = "Opening hours: Mon-Fri 9:00-18:00, closed on public holidays"

    row_id = bot.add_text(text)

    assert bot.rows() == [{"title": text[:30], "id": row_id, "type": "text"}]


def test_an_upload_answers_an_event_and_its_rows_appear_when_it_completes(bot: Bot) -> None:
    bot.admin.set_knobs(work_ms=300)
    event_id = bot.upload(("manual.pdf", b"%PDF-1.4"), ("notes.md", b"# notes"))

    assert bot.rows() == []
    assert [log["status"] for log in bot.logs(event_id)] == ["initial"]
    done = bot.wait(event_id)

    assert (done["event"], done["status"]) == ("uploading", "completed")
    items = done["data"]["training_data_ids"]
    assert [item["filename"] for item in items] == ["manual.pdf", "notes.md"]
    assert [(row["title"], row["type"]) for row in bot.rows()] == [
        ("manual.pdf", "file"),
        ("notes.md", "file"),
    ]
    assert [item["id"] for item in items] == [row["id"] for row in bot.rows()]


def test_an_unsupported_file_is_a_failed_item_of_a_completed_upload(bot: Bot) -> None:
    done = bot.wait(bot.upload(("tool.exe", b"MZ"), ("ok.txt", b"fine")))

    assert done["status"] == "completed"
    failed, ok = done["data"]["training_data_ids"]
    assert failed == {
        "id": None,
        "filename": "tool.exe",
        "status": "failed",
        "detail": "Unsupport file format",
    }
    assert [row["title"] for row in bot.rows()] == ["ok.txt"] == [ok["filename"]]


def test_a_crawl_answers_an_event_and_yields_one_row_titled_by_its_url(bot: Bot) -> None:
    done = bot.wait(bot.crawl("https://www.example.com/help", single_page=True))

    assert (done["event"], done["status"]) == ("crawling", "completed")
    (row,) = bot.rows()
    assert (row["title"], row["type"]) == ("https://www.example.com/help", "crawler")
    assert done["data"] == {"chatbot_id": bot.id, "training_data_ids": [row["id"]]}


def test_a_whole_site_crawl_yields_crawl_pages_rows(bot: Bot) -> None:
    bot.admin.set_knobs(crawl_pages=3)

    bot.wait(bot.crawl("https://www.example.com/"))

    assert [row["title"] for row in bot.rows()] == [
        "https://www.example.com/",
        "https://www.example.com/page-2",
        "https://www.example.com/page-3",
    ]


@pytest.mark.parametrize(
    ("params", "data", "field"),
    [
        ({"type": "text"}, {}, "text"),
        ({"type": "text"}, {"text": ""}, "text"),
        ({"type": "crawler"}, {"website": "ftp://example.com"}, "website"),
        ({"type": "file"}, {}, "files"),
        ({"type": "video"}, {"text": "x"}, "type"),
    ],
)
def test_bad_training_data_answers_422_naming_the_field(
    bot: Bot, params: dict[str, str], data: dict[str, str], field: str
) -> None:
    response = bot.call("POST", "/training_data", params=params, data=data)

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][-1] == field
    assert bot.rows() == []


def test_a_deleted_row_leaves_the_list_and_an_unknown_one_answers_404(bot: Bot) -> None:
    keep, drop = bot.add_text("keep"), bot.add_text("drop")

    deleted = bot.call("DELETE", f"/training_data/{drop}")
    again = bot.call("DELETE", f"/training_data/{drop}")

    assert (deleted.status_code, deleted.json()) == (
        200,
        {"detail": "Delete training data successfully"},
    )
    assert (again.status_code, again.json()) == (404, {"detail": "Training data not found"})
    assert [row["id"] for row in bot.rows()] == [keep]


# Training


def test_a_training_completes_with_the_model_id_and_every_current_row(bot: Bot) -> None:
    ids = [bot.add_text("first"), bot.add_text("second")]
    bot.admin.set_knobs(work_ms=300)

    event_id = bot.train("v1", model_name="gpt-4")
    assert bot.call("GET", "/model").json() == {"models": []}
    done = bot.wait(event_id)

    assert (done["event"], done["status"]) == ("training", "completed")
    assert done["data"]["training_data_ids"] == ids
    assert done["data"]["chatbot_id"] == bot.id
    (model,) = bot.call("GET", "/model").json()["models"]
    assert set(model) == {"title", "id", "created_at", "updated_at", "model_name"}
    assert (model["id"], model["title"], model["model_name"]) == (
        done["data"]["model_id"],
        "v1",
        "gpt-4",
    )
    one = bot.call("GET", f"/model/{model['id']}").json()
    assert one["training_data"] == [
        {"id": ids[0], "title": "first"},
        {"id": ids[1], "title": "second"},
    ]


def test_an_event_has_one_log_per_status_change_with_every_field(bot: Bot) -> None:
    bot.add_text("x")
    event_id = bot.train()
    bot.wait(event_id)

    logs = bot.logs(event_id)

    assert [log["status"] for log in logs] == ["initial", "completed"]
    for log in logs:
        assert set(log) == {"created_at", "event_id", "event", "status", "data", "broadcast_status"}
        assert log["event_id"] == event_id and log["broadcast_status"] is None


def test_the_model_name_defaults_to_palm2_and_an_unknown_one_answers_422(bot: Bot) -> None:
    bot.add_text("x")
    bot.wait(bot.train())
    refused = bot.call("POST", "/model", json={"title": "v2", "model_name": "gpt-99"})

    assert [m["model_name"] for m in bot.call("GET", "/model").json()["models"]] == ["PaLM2"]
    assert refused.status_code == 422
    assert refused.json()["detail"][0]["loc"] == ["body", "model_name"]


def test_a_training_without_data_fails_with_training_data_not_found(bot: Bot) -> None:
    done = bot.wait(bot.train())

    assert done["status"] == "failed"
    assert done["data"] == {"chatbot_id": bot.id, "detail": "Training data not found"}
    assert bot.call("GET", "/model").json() == {"models": []}


def test_text_over_the_plans_character_limit_fails_the_training(bot: Bot) -> None:
    bot.add_text("a" * 600_000)
    bot.add_text("b" * 600_000)  # Basic allows 1,000,000 characters

    done = bot.wait(bot.train())

    assert done["data"]["detail"] == "Character limit exceeded"


def test_unknown_models_and_events_answer_404(bot: Bot) -> None:
    model = bot.call("GET", f"/model/{UNKNOWN_ID}")
    event = bot.call("GET", f"/event/{UNKNOWN_ID}")

    assert (model.status_code, model.json()) == (404, {"detail": "Model not found"})
    assert (event.status_code, event.json()) == (404, {"detail": "Event not found"})


def test_another_chatbots_event_answers_404(bot: Bot) -> None:
    other = make_bot(bot.admin, "other")
    event_id = other.crawl("https://example.com/")

    assert bot.call("GET", f"/event/{event_id}").status_code == 404


def test_the_chatbot_answers_with_the_model_its_model_id_names(bot: Bot) -> None:
    bot.add_text("x")
    assert bot.info()["model"] is None
    model_id = bot.wait(bot.train())["data"]["model_id"]

    bot.admin.call("PUT", f"{CHATBOT_PATH}/{bot.id}", data={"model_id": model_id})

    assert bot.info()["model"] == {
        "id": model_id,
        "model_name": "PaLM2",
        "embedding_name": "text-embedding-004",
    }


# Failure knobs


@pytest.mark.parametrize(
    ("knob", "start"),
    [
        ("fail_crawl", lambda bot: bot.crawl("https://example.com/")),
        ("fail_upload", lambda bot: bot.upload(("a.pdf", b"x"))),
        ("fail_training", lambda bot: (bot.add_text("x"), bot.train())[1]),
    ],
)
def test_a_failure_knob_fails_that_kind_of_work_with_its_detail(
    bot: Bot, knob: str, start: Any
) -> None:
    bot.admin.set_knobs(**{knob: "Something broke upstream"})

    done = bot.wait(start(bot))

    assert done["status"] == "failed"
    assert done["data"] == {"chatbot_id": bot.id, "detail": "Something broke upstream"}
    assert [row["type"] for row in bot.rows()] == (["text"] if knob == "fail_training" else [])


def test_a_failure_knob_leaves_other_kinds_of_work_alone(bot: Bot) -> None:
    bot.admin.set_knobs(fail_crawl="No crawl today")

    assert bot.wait(bot.upload(("a.pdf", b"x")))["status"] == "completed"


def test_a_training_never_finishes_until_the_knob_is_off(bot: Bot) -> None:
    bot.add_text("x")
    bot.admin.set_knobs(training_never_finishes=True)
    event_id = bot.train()

    time.sleep(0.3)  # ten times the work time
    assert [log["status"] for log in bot.logs(event_id)] == ["initial"]
    bot.admin.set_knobs(training_never_finishes=False)

    assert bot.wait(event_id)["status"] == "completed"


# Plan limits


def test_plan_limits_are_in_the_chatbot_info() -> None:
    with emulator("current") as admin:
        basic, pro = make_bot(admin), make_bot(admin, "pro", PRO)

        limits = ("character_limit", "crawler_limit", "training_limit", "total_file_size_limit")
        assert [basic.info()[name] for name in limits] == [1_000_000, 10, 20, 2 * 1024 * 1024]
        assert [pro.info()[name] for name in limits] == [10_000_000, 100, 200, 20 * 1024 * 1024]


def test_a_crawl_past_the_crawler_limit_answers_403(bot: Bot) -> None:
    bot.admin.set_knobs(crawl_pages=10)  # Basic: 10 crawled rows
    bot.crawl("https://example.com/")  # still running: it counts already

    response = bot.call(
        "POST",
        "/training_data",
        params={"type": "crawler"},
        data={"website": "https://example.org/", "is_single_page": "true"},
    )

    assert (response.status_code, response.json()) == (403, {"detail": "Crawler limit exceeded"})


def test_a_training_past_the_training_limit_answers_403(bot: Bot) -> None:
    bot.admin.set_knobs(work_ms=0)
    for _ in range(20):  # Basic: 20 trainings
        bot.train()

    response = bot.call("POST", "/model", json={"title": "one too many"})

    assert (response.status_code, response.json()) == (403, {"detail": "Training limit exceeded"})


def test_uploads_past_the_total_file_size_limit_answer_413(bot: Bot) -> None:
    megabyte = b"x" * (1024 * 1024)
    bot.wait(bot.upload(("one.txt", megabyte)))
    bot.upload(("two.txt", megabyte))  # pending uploads count too: 2 MiB on Basic

    response = bot.call(
        "POST", "/training_data", params={"type": "file"}, files=[("files", ("3.txt", b"x"))]
    )

    assert (response.status_code, response.json()) == (
        413,
        {"detail": "Total file size limit exceeded"},
    )


# Webhook


class _Receiver(BaseHTTPRequestHandler):
    received: list[dict[str, Any]]

    def do_POST(self) -> None:
        length = int(self.headers["Content-Length"])
        type(self).received.append(json.loads(self.rfile.read(length)))
        self.send_response(204)
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """A loopback webhook receiver: its URL and the JSON bodies it was sent, in order."""
    received: list[dict[str, Any]] = []
    handler: type[_Receiver] = type("Receiver", (_Receiver,), {"received": received})
    server = HTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/hook", received
    finally:
        server.shutdown()
        server.server_close()


def test_webhook_put_and_delete_show_in_the_chatbot_info(bot: Bot) -> None:
    assert bot.info()["webhook_url"] is None
    put = bot.call("PUT", "/webhook", json={"webhook_url": "https://hooks.example.com/caigunn"})
    assert bot.info()["webhook_url"] == "https://hooks.example.com/caigunn"

    deleted = bot.call("DELETE", "/webhook")

    assert put.json() == {"detail": "Subscribe webhook successfully"}
    assert deleted.json() == {"detail": "Unsubscribe webhook successfully"}
    assert bot.info()["webhook_url"] is None


def test_a_webhook_url_that_is_not_http_answers_422(bot: Bot) -> None:
    response = bot.call("PUT", "/webhook", json={"webhook_url": "mailto:me@example.com"})

    assert response.status_code == 422
    assert bot.info()["webhook_url"] is None


def test_a_loopback_webhook_receives_each_log_in_order(
    bot: Bot, receiver: tuple[str, list[dict[str, Any]]]
) -> None:
    url, received = receiver
    bot.call("PUT", "/webhook", json={"webhook_url": url})

    event_id = bot.crawl("https://example.com/")
    bot.wait(event_id)
    deadline = time.monotonic() + 5
    while len(received) < 2 and time.monotonic() < deadline:
        time.sleep(0.02)

    assert [(body["event_id"], body["status"]) for body in received] == [
        (event_id, "initial"),
        (event_id, "completed"),
    ]
    assert received[1]["data"] == bot.logs(event_id)[1]["data"]
    assert [log["broadcast_status"] for log in bot.logs(event_id)] == ["success", "success"]


def test_a_webhook_elsewhere_is_never_sent_to(bot: Bot) -> None:
    bot.call("PUT", "/webhook", json={"webhook_url": "https://hooks.example.com/caigunn"})

    event_id = bot.crawl("https://example.com/")
    bot.wait(event_id)

    assert [log["broadcast_status"] for log in bot.logs(event_id)] == ["skipped", "skipped"]


# Around the routes


def test_the_request_log_holds_the_chatbot_routes_and_never_the_api_key(bot: Bot) -> None:
    bot.admin.clear_requests()
    bot.add_text("x")
    bot.call("GET", "/training_data", api_key="wrong-key-123")

    entries = bot.admin.requests()

    assert [(e["method"], e["path"], e["query"], e["status"]) for e in entries] == [
        ("POST", "/api/external/chatbot/training_data", {"type": "text"}, 200),
        ("GET", "/api/external/chatbot/training_data", {}, 401),
    ]
    assert bot.api_key not in json.dumps(entries) and "wrong-key" not in json.dumps(entries)


def test_the_seed_level_has_no_chatbot_routes() -> None:
    with emulator("seed") as admin:
        response = admin.call("GET", "/api/external/chatbot/training_data")

        assert (response.status_code, response.json()) == (404, {"detail": "Not Found"})
