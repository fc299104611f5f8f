"""A plan change replaces a chatbot (issue 30, point 2): found from the checkpoint before anything
is declared, said in one sentence per entry, refused at `up` unless caigunn:allowReplace allows it;
the setting's parsing."""

from __future__ import annotations

from pathlib import Path

import pulumi
import pytest

from caigunn_provider.account import Account
from caigunn_provider.capabilities import Capabilities, Level
from caigunn_provider.client import CaiGunnClient, Plan
from caigunn_provider.config import ProviderConfig, resolve
from caigunn_provider.errors import ConfigError
from caigunn_provider.kinds import load_stack_file
from caigunn_provider.kinds.chatbot import kind as chatbot_kind
from caigunn_provider.kinds.chatbot.preflight import (
    PreflightError,
    Replacement,
    refuse_replacements,
    replacements,
    unknown_allowed,
)
from caigunn_provider.kinds.chatbot.spec import AMBIGUOUS, CHATBOT_TYPE, ChatbotSpec
from caigunn_provider.program.checkpoint import Checkpoint, Recorded
from caigunn_provider.program.kind import Run
from tests.support import BASIC, PRO

TOKEN = "tok-3fe1c0ffee"
PLANS = [Plan(BASIC, "Basic"), Plan(PRO, "Pro")]
OLD_ID = "5d1c2b3a-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
STACK = """\
chatbots:
  support:
    title: Support
    plan: Pro
    knowledge:
      - text: Opening hours are 9 to 5
      - text: Returns within 30 days
      - website: https://www.example.com
  sales:
    title: Sales
    plan_id: {sales_plan}
"""


def config(**given: str) -> ProviderConfig:
    return resolve({"caigunn:accessToken": TOKEN, **given}, {})


def account(level: Level = "current") -> Account:
    client = CaiGunnClient("http://127.0.0.1:9", "unused-token")
    return Account(client, Capabilities.for_level(level), PLANS)


def specs(tmp_path: Path, sales_plan: str = BASIC) -> dict[str, ChatbotSpec]:
    path = tmp_path / "dev.yaml"
    path.write_text(STACK.format(sales_plan=sales_plan))
    return dict(load_stack_file(path).section("chatbots"))


def checkpoint(**outputs: dict[str, object]) -> Checkpoint:
    """support and sales, both recorded on Basic; outputs adds to a record's outputs."""
    return Checkpoint(
        {
            (CHATBOT_TYPE, name): Recorded(
                OLD_ID if name == "support" else f"id-{name}",
                {"title": name.title(), "plan_id": BASIC},
                {"plan_id": BASIC, **outputs.get(name, {})},
            )
            for name in ("support", "sales")
        }
    )


def found(
    tmp_path: Path,
    *,
    sales_plan: str = BASIC,
    state: Checkpoint | None = None,
    level: Level = "current",
    settings: ProviderConfig | None = None,
) -> list[Replacement]:
    entries = specs(tmp_path, sales_plan)
    plan_ids = {"support": PRO, "sales": sales_plan}
    return replacements(
        str(tmp_path / "dev.yaml"),
        entries,
        plan_ids,
        state or checkpoint(),
        account(level),
        settings or config(),
    )


def test_a_new_plan_is_one_sentence_at_the_plan_key_naming_the_cost_and_the_setting(
    tmp_path: Path,
) -> None:
    [support] = found(tmp_path)

    assert support.name == "support" and not support.allowed
    assert support.sentence == (
        f"{tmp_path}/dev.yaml:4: chatbots.support.plan: changing the plan from Basic to Pro "
        "replaces this chatbot: it gets a new id and api_key, its 3 knowledge items are uploaded "
        "and trained again, and the old chatbot is deleted; allow it with "
        "`pulumi config set caigunn:allowReplace support`"
    )
    assert "\n" not in support.sentence and OLD_ID not in support.sentence


def test_the_advice_allows_every_replacement_of_the_run_in_one_value(tmp_path: Path) -> None:
    support, sales = found(tmp_path, sales_plan=PRO)

    assert sales.sentence == (
        f"{tmp_path}/dev.yaml:11: chatbots.sales.plan_id: changing the plan from Basic to Pro "
        "replaces this chatbot: it gets a new id and api_key, and the old chatbot is deleted; "
        "allow it with `pulumi config set caigunn:allowReplace support,sales`"
    )
    assert support.sentence.endswith("`pulumi config set caigunn:allowReplace support,sales`")


def test_an_unchanged_plan_or_an_ambiguous_record_replaces_nothing(tmp_path: Path) -> None:
    same = Checkpoint(
        {
            (CHATBOT_TYPE, "support"): Recorded(OLD_ID, {"title": "Old Title", "plan_id": PRO}),
            (CHATBOT_TYPE, "sales"): Recorded(
                "ambiguous-create-1", {"plan_id": PRO}, {AMBIGUOUS: ["a", "b"]}
            ),
        }
    )
    # A new title is an update in place; the record of an ambiguous create holds no chatbot.
    assert found(tmp_path, sales_plan=BASIC, state=same) == []
    # A new entry (nothing recorded) is a create.
    assert found(tmp_path, state=Checkpoint({})) == []


def test_an_adopted_chatbot_is_said_to_stay_in_the_account(tmp_path: Path) -> None:
    [support] = found(tmp_path, state=checkpoint(support={"adopted": True}))

    assert (
        "and the old chatbot stays in the CaiGunn account (it was adopted with `import:`, and "
        "adopted chatbots are never deleted); allow it with"
    ) in support.sentence


def test_a_server_that_cannot_delete_keeps_the_old_chatbot_and_names_plan_ids(
    tmp_path: Path,
) -> None:
    seed = Account(CaiGunnClient("http://127.0.0.1:9", "unused-token"), account("seed").caps, [])
    entries = specs(tmp_path, PRO)
    [sales] = replacements(
        "dev.yaml", entries, {"support": BASIC, "sales": PRO}, checkpoint(), seed, config()
    )

    assert sales.sentence == (
        f"dev.yaml:11: chatbots.sales.plan_id: changing the plan from {BASIC} to {PRO} replaces "
        "this chatbot: it gets a new id and api_key, and the old chatbot stays in the CaiGunn "
        "account (this CaiGunn API cannot delete chatbots); allow it with "
        "`pulumi config set caigunn:allowReplace sales`"
    )


@pytest.mark.parametrize("value", ["support", " sales , support ", "*"])
def test_the_setting_allows_by_name_or_every_entry(tmp_path: Path, value: str) -> None:
    [support] = found(tmp_path, settings=config(**{"caigunn:allowReplace": value}))

    assert support.allowed
    assert support.sentence.endswith(
        "and the old chatbot is deleted; caigunn:allowReplace allows it"
    )


def test_up_stops_on_a_replacement_not_allowed_and_preview_only_warns(tmp_path: Path) -> None:
    support, sales = found(
        tmp_path, sales_plan=PRO, settings=config(**{"caigunn:allowReplace": "sales"})
    )

    refuse_replacements([support, sales], dry_run=True)
    refuse_replacements([sales], dry_run=False)
    with pytest.raises(PreflightError) as caught:
        refuse_replacements([support, sales], dry_run=False)
    assert str(caught.value) == support.sentence


def test_the_kind_warns_at_preview_stops_at_up_and_says_nothing_without_a_checkpoint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = Run("dev.yaml", config(), account(), checkpoint)
    entries, plan_ids = specs(tmp_path), {"support": PRO, "sales": BASIC}

    monkeypatch.setattr(pulumi.runtime, "is_dry_run", lambda: True)
    said = chatbot_kind._replacements(run, entries, plan_ids, checkpoint())
    assert list(said) == ["support"]
    assert said["support"].startswith("dev.yaml:4: chatbots.support.plan: changing the plan")
    # Unreadable (the pipeline warned): a replacement cannot be told from an update.
    assert chatbot_kind._replacements(run, entries, plan_ids, None) == {}

    monkeypatch.setattr(pulumi.runtime, "is_dry_run", lambda: False)
    with pytest.raises(PreflightError) as caught:
        chatbot_kind._replacements(run, entries, plan_ids, checkpoint())
    assert str(caught.value) == said["support"]


def test_a_name_that_no_entry_has_is_warned_about(tmp_path: Path) -> None:
    entries = specs(tmp_path)
    assert unknown_allowed("dev.yaml", entries, config()) is None
    assert unknown_allowed("dev.yaml", entries, config(**{"caigunn:allowReplace": "*"})) is None
    assert unknown_allowed(
        "dev.yaml", entries, config(**{"caigunn:allowReplace": "support,all,supprot"})
    ) == (
        "caigunn:allowReplace names all, supprot, which no entry of dev.yaml is: it allows "
        "nothing for them (* allows every entry)"
    )


# --- the setting -----------------------------------------------------------------------------


def test_unset_or_empty_allows_nothing() -> None:
    for settings in (config(), config(**{"caigunn:allowReplace": ""})):
        assert settings.allow_replace == frozenset()
        assert not settings.allows_replace("support")


def test_names_are_comma_separated_and_all_is_an_entry_name_not_a_wildcard() -> None:
    settings = config(**{"caigunn:allowReplace": "support, all ,,sales-2"})

    assert settings.allow_replace == {"support", "all", "sales-2"}
    assert settings.allows_replace("all") and not settings.allows_replace("other")
    assert config(**{"caigunn:allowReplace": "*"}).allows_replace("anything")


def test_the_environment_is_the_fallback_and_the_config_wins() -> None:
    env = {"CAIGUNN_ALLOW_REPLACE": "support"}
    assert resolve({"caigunn:accessToken": TOKEN}, env).allow_replace == {"support"}
    given = {"caigunn:accessToken": TOKEN, "caigunn:allowReplace": "sales"}
    assert resolve(given, env).allow_replace == {"sales"}


@pytest.mark.parametrize("value", ["sup port", "support;sales", "-x", "a" * 101, TOKEN + "!"])
def test_a_malformed_value_is_refused_without_echoing_it(value: str) -> None:
    with pytest.raises(ConfigError) as caught:
        config(**{"caigunn:allowReplace": value})

    assert str(caught.value) == (
        "caigunn:allowReplace is not a comma-separated list of entry names (letters, digits, _, . "
        "and -) or * for every entry (the entries whose chatbot `pulumi up` may replace: a new id "
        "and api_key).\n"
        "Set it with `pulumi config set caigunn:allowReplace <name>,<name>` or "
        "CAIGUNN_ALLOW_REPLACE; remove it with `pulumi config rm caigunn:allowReplace`."
    )
