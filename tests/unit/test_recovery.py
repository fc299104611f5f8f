"""Matching interrupted creates to the chatbots they made: only where it can be proven."""

from __future__ import annotations

from typing import Any

from caigunn_provider.client import ChatbotRow
from caigunn_provider.kinds.chatbot.recovery import Chatbots, Interrupted, chatbots_of, match
from caigunn_provider.kinds.chatbot.recovery import still_open as _still_open
from caigunn_provider.kinds.chatbot.resource import CHATBOT_TYPE
from caigunn_provider.program.checkpoint import parse_checkpoint as _parse_checkpoint
from tests.support import BASIC, PRO

A, B, C, D = (f"{n}0000000-0000-4000-8000-000000000000" for n in "abcd")


def parse_checkpoint(deployment: dict[str, Any]) -> Chatbots:
    return chatbots_of(_parse_checkpoint(deployment))


def still_open(checkpoint: Chatbots, declared: list[str]) -> list[Interrupted]:
    return _still_open(checkpoint, declared)


def row(chatbot_id: str, title: str, plan_id: str | None = None) -> ChatbotRow:
    return ChatbotRow(chatbot_id, title, "key-" + chatbot_id[:1], plan_id)


def op(
    name: str, title: str = "Support", plan_id: str = BASIC, prior: set[str] | None = None
) -> Interrupted:
    return Interrupted(name, title, plan_id, frozenset(prior) if prior is not None else None)


def test_no_new_chatbot_means_the_create_never_happened() -> None:
    found, unsure = match(
        [op("support", prior={A})], [row(A, "Support")], [], {"support": ("Support", BASIC)}
    )
    assert (found, unsure) == ({}, [])


def test_the_one_new_chatbot_with_the_title_is_the_interrupted_one() -> None:
    rows = [row(A, "Support"), row(B, "Support"), row(C, "Other")]
    found, unsure = match([op("support", prior={A})], rows, [], {"support": ("Support", BASIC)})
    assert (found, unsure) == ({"support": B}, [])


def test_a_chatbot_another_resource_owns_is_never_a_candidate() -> None:
    rows = [row(A, "Support"), row(B, "Support")]
    found, _ = match([op("support", prior=set())], rows, [A, B], {"support": ("Support", BASIC)})
    assert found == {}


def test_a_listed_plan_that_differs_rules_a_chatbot_out() -> None:
    rows = [row(A, "Support", PRO), row(B, "Support", BASIC)]
    found, _ = match([op("support", prior=set())], rows, [], {"support": ("Support", BASIC)})
    assert found == {"support": B}


def test_two_new_chatbots_for_one_interrupted_create_are_unsure() -> None:
    rows = [row(A, "Support"), row(B, "Support")]
    found, unsure = match([op("support", prior=set())], rows, [], {"support": ("Support", BASIC)})
    assert found == {}
    assert [(u.names, [r.id for r in u.candidates]) for u in unsure] == [(("support",), [A, B])]


def test_two_interrupted_creates_of_one_title_each_take_one() -> None:
    rows = [row(A, "Support"), row(B, "Support")]
    declared = {"one": ("Support", BASIC), "two": ("Support", BASIC)}
    ops = [op("two", prior=set()), op("one", prior=set())]
    found, unsure = match(ops, rows, [], declared)
    assert (found, unsure) == ({"one": A, "two": B}, [])


def test_without_the_prior_ids_any_candidate_is_unsure() -> None:
    found, unsure = match(
        [op("support", prior=None)], [row(A, "Support")], [], {"support": ("Support", BASIC)}
    )
    assert found == {} and len(unsure) == 1


def test_an_entry_edited_since_the_interruption_does_not_take_its_chatbot_silently() -> None:
    declared = {"support": ("Help Centre", BASIC)}
    found, unsure = match([op("support", prior=set())], [row(A, "Support")], [], declared)
    assert found == {} and [u.title for u in unsure] == ["Support"]


def resource(name: str, chatbot_id: str, plan_id: str = BASIC, **extra: Any) -> dict[str, Any]:
    urn = f"urn:pulumi:dev::caigunn-chatbots::{CHATBOT_TYPE}::{name}"
    return {
        "urn": urn,
        "type": CHATBOT_TYPE,
        "id": chatbot_id,
        "inputs": {"plan_id": plan_id},
        **extra,
    }


def pending(name: str, title: str, prior: list[str] | None) -> dict[str, Any]:
    urn = f"urn:pulumi:dev::caigunn-chatbots::{CHATBOT_TYPE}::{name}"
    inputs: dict[str, Any] = {"title": title, "plan_id": BASIC}
    if prior is not None:
        inputs["__prior_ids"] = prior
    return {"type": "creating", "resource": {"urn": urn, "type": CHATBOT_TYPE, "inputs": inputs}}


def test_the_checkpoint_gives_owned_ids_and_interrupted_creates() -> None:
    deployment = {
        "resources": [resource("support", A), resource("gone", B, delete=True)],
        "pending_operations": [
            pending("sales", "Sales", [C]),
            {"type": "updating", "resource": resource("support", A)},
        ],
    }
    checkpoint = parse_checkpoint(deployment)
    assert checkpoint.owned == {"support": A}
    assert checkpoint.interrupted == (Interrupted("sales", "Sales", BASIC, frozenset({C})),)


def test_a_record_whose_entry_owns_a_chatbot_on_that_plan_is_spent() -> None:
    deployment = {
        "resources": [resource("support", A)],
        "pending_operations": [pending("support", "Support", []), pending("sales", "Sales", [])],
    }
    open_ones = still_open(parse_checkpoint(deployment), ["support", "sales"])
    assert [o.name for o in open_ones] == ["sales"]


def test_a_record_of_an_entry_no_longer_declared_is_not_redone() -> None:
    deployment = {"resources": [], "pending_operations": [pending("old", "Old", [])]}
    assert still_open(parse_checkpoint(deployment), ["support"]) == []
