"""How the emulated chatbot answers a talk: the passage of its serving model's training texts
that shares the most words with the question, then what the lines of its prompt make of it.
Deterministic, so that a test can say which answer a question gets (docs/emulator.md,
"Conversations")."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

IDK = "I don't know."
# Words too common to tell one passage from another: they never make a passage the answer.
STOP_WORDS = frozenset(
    {
        "a", "an", "the", "is", "are", "am", "be", "do", "does", "did", "i", "you", "we", "it",
        "me", "my", "your", "our", "to", "of", "in", "on", "at", "for", "and", "or", "what",
        "how", "can",
    }
)  # fmt: skip
# A word: letters and digits (any script), so "9:00-18:00" is the words 9, 00, 18, 00.
_WORD = re.compile(r"[^\W_]+")
# Passages of a text are its paragraphs: separated by a line that is empty or blank.
_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n")

# The prompt lines the emulator obeys (case ignored, the final period optional), each with the
# text after its colon where it takes one.
ALWAYS_ANSWER = "always answer:"
START_WITH = "start every answer with:"
END_WITH = "end every answer with:"
CAPITALS = "answer in capitals"
REFUSE = "refuse every question"


def words(text: str) -> frozenset[str]:
    """The text's words, case-folded, stop words left out."""
    return frozenset(_WORD.findall(text.casefold())) - STOP_WORDS


def passages(text: str) -> list[str]:
    """The text's paragraphs, stripped, empty ones left out."""
    return [part.strip() for part in _PARAGRAPH_BREAK.split(text) if part.strip()]


def best_passage(question: str, texts: Iterable[str]) -> str | None:
    """The passage sharing the most distinct words with the question (the first of equals, in
    the texts' order); None when none shares a word."""
    asked = words(question)
    best, best_shared = None, 0
    for text in texts:
        for passage in passages(text):
            shared = len(asked & words(passage))
            if shared > best_shared:
                best, best_shared = passage, shared
    return best


@dataclass(frozen=True)
class PromptRules:
    """What a prompt asks of every answer (from the lines the emulator obeys; others ignored)."""

    refuse: bool = False
    always: str | None = None
    start: str | None = None
    end: str | None = None
    capitals: bool = False


def prompt_rules(prompt: str | None) -> PromptRules:
    """The prompt's rules; of two lines of one kind the later wins."""
    flags: set[str] = set()
    texts: dict[str, str] = {}
    for line in (prompt or "").splitlines():
        stripped = line.strip()
        folded = stripped.casefold()
        flags.add(folded.rstrip(".").rstrip())
        for lead in (ALWAYS_ANSWER, START_WITH, END_WITH):
            text = stripped[len(lead) :].strip()
            if folded.startswith(lead) and text:
                texts[lead] = text
    return PromptRules(
        refuse=REFUSE in flags,
        always=texts.get(ALWAYS_ANSWER),
        start=texts.get(START_WITH),
        end=texts.get(END_WITH),
        capitals=CAPITALS in flags,
    )


def answer(question: str, texts: Sequence[str], prompt: str | None) -> str:
    """The answer to the question from the serving model's texts (none: no model) under the
    prompt. `I don't know.` is always said as it is: never prefixed, suffixed or capitalised."""
    rules = prompt_rules(prompt)
    if rules.refuse:
        return IDK
    said = rules.always if rules.always is not None else best_passage(question, texts)
    if said is None:
        return IDK
    said = " ".join(part for part in (rules.start, said, rules.end) if part)
    return said.upper() if rules.capitals else said


def draws_idk(seed: int, talk_number: int, rate: float) -> bool:
    """Whether the chatbot's talk number `talk_number` (0 for its first) is answered
    `I don't know.` by the talk_idk_rate knob: a hash of the seed and the number, so the same
    seed gives every chatbot the same pattern."""
    if rate <= 0:
        return False
    digest = hashlib.sha256(f"{seed}:{talk_number}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < rate
