"""Knowledge items' resource names: inline texts by their first words, the old names kept as
aliases (caigunn_provider/kinds/knowledge/declare.py; issue 30, "opaque names")."""

from __future__ import annotations

import pulumi
import pytest

from caigunn_provider.kinds.knowledge import digest
from caigunn_provider.kinds.knowledge.declare import (
    _renamed_from,
    item_names,
    legacy_name,
    retrains,
    slug,
)
from caigunn_provider.kinds.knowledge.section import ItemSpec, KnowledgeSpec
from caigunn_provider.program.checkpoint import Recorded

OPENING = "Opening hours: Mon-Fri 9:00-18:00"


def text(value: str) -> ItemSpec:
    return ItemSpec(kind="text", digest=digest.of_text(value), line=1, text=value)


def text_file(path: str, content: bytes = b"x") -> ItemSpec:
    return ItemSpec(
        kind="text_file", digest=digest.of_bytes(content), line=1, path=path, location=path
    )


def website(url: str) -> ItemSpec:
    return ItemSpec(kind="website", digest=digest.of_website(url, False), line=1, website=url)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (OPENING, "opening-hours-mon-fri-9"),
        ("We ship worldwide.", "we-ship-worldwide"),
        ("Returns are accepted within 30 days of delivery.", "returns-are-accepted-within-30"),
        ("Öffnungszeiten: Montag bis Freitag, 9 bis 18 Uhr", "offnungszeiten-montag-bis"),
        ("  **FAQ**\n\n- Q: Where?", "faq-q-where"),
        ("Pneumonoultramicroscopicsilicovolcanoconiosis is long", "pneumonoultramicroscopicsilico"),
        ("営業時間は9時から", "9"),
        ("営業時間", ""),
    ],
)
def test_a_texts_slug_is_its_first_words_in_lowercase_ascii(value: str, expected: str) -> None:
    assert slug(value) == expected
    assert len(expected) <= 30 and expected.count("-") <= 4


def test_the_legacy_names_stay_as_they_were() -> None:
    # The names every stack made before holds: the aliases must find them, so never change them.
    assert legacy_name("support", text("Hello")) == "support/text:185f8db32271"
    assert legacy_name("support", text_file("knowledge/a.md")) == "support/text_file:knowledge/a.md"
    assert (
        legacy_name("support", website("http://[2001:db8::1]/help"))
        == "support/website:http://[2001:db8:%3A1]/help"
    )


def test_inline_texts_are_named_by_their_words_and_the_other_kinds_as_before() -> None:
    items = [text_file("knowledge/a.md"), text(OPENING), website("https://example.com/help")]
    assert item_names("support", items) == [
        "support/text_file:knowledge/a.md",
        "support/text:opening-hours-mon-fri-9",
        "support/website:https://example.com/help",
    ]


def test_texts_that_begin_alike_both_get_a_digest_whatever_their_order() -> None:
    first, second = text(f"{OPENING} (summer)"), text(f"{OPENING} (winter)")
    names = item_names("support", [first, second, text("We ship worldwide.")])
    assert names == [
        f"support/text:opening-hours-mon-fri-9-{first.digest[:8]}",
        f"support/text:opening-hours-mon-fri-9-{second.digest[:8]}",
        "support/text:we-ship-worldwide",
    ]
    assert item_names("support", [second, first]) == [names[1], names[0]]


def test_a_text_without_latin_words_keeps_its_old_name() -> None:
    item = text("営業時間")
    assert item_names("support", [item]) == [legacy_name("support", item)]
    assert _renamed_from("support", item, legacy_name("support", item)) is None


def test_a_name_that_would_collide_falls_back_to_the_old_names() -> None:
    # Absurd but possible: a text whose words are another's words and digest.
    first, second = text("a b"), text("a b!")
    clash = text(f"a b {first.digest[:8]}")
    names = item_names("support", [first, second, clash])
    assert len(set(names)) == 3
    assert names[0] == legacy_name("support", first)
    assert names[2] == legacy_name("support", clash)


def test_a_renamed_text_item_is_declared_with_its_old_name_as_alias() -> None:
    item = text(OPENING)
    [name] = item_names("support", [item])
    opts = _renamed_from("support", item, name)
    assert opts is not None and opts.aliases is not None
    [alias] = opts.aliases
    assert isinstance(alias, pulumi.Alias) and alias.name == legacy_name("support", item)
    # Merged with the entry's options, both stay.
    merged = pulumi.ResourceOptions.merge(pulumi.ResourceOptions(protect=True), opts)
    assert merged.protect is True and merged.aliases == [alias]


def recorded(item: ItemSpec, *, digest_: str | None = None) -> Recorded:
    return Recorded(id="row", inputs={"digest": digest_ or item.digest}, outputs={})


def test_a_preview_after_the_rename_says_no_retraining_for_items_held_by_their_old_names() -> None:
    opening, shipping = text(OPENING), text("We ship worldwide.")
    spec = KnowledgeSpec(items=(opening, shipping))
    before = {legacy_name("support", item): recorded(item) for item in (opening, shipping)}
    assert retrains("support", spec, before) is None
    # Held by either name, a changed text is one change, not one added and one removed.
    edited = text(f"{OPENING}, Sat 10:00-14:00")
    before = {
        "support/text:opening-hours-mon-fri-9": recorded(edited, digest_=opening.digest),
        legacy_name("support", shipping): recorded(shipping),
    }
    spec = KnowledgeSpec(items=(edited, shipping))
    assert retrains("support", spec, before) == "support: retrains: 1 item changed"
