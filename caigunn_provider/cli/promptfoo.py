"""An entry's answer checks as a promptfoo config (`promptfooconfig.yaml`): promptfoo's `http`
provider calls the chatbot's talk route, and each check is a test with its assertions.

Secrets never enter the file: the api-key and the access token are `{{env.…}}` references that
promptfoo fills from the environment when it runs.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

import yaml

from caigunn_provider.chatbot_level.api import API_KEY_HEADER
from caigunn_provider.client.transport import TOKEN_HEADER
from caigunn_provider.config import TOKEN
from caigunn_provider.kinds.checks.spec import NICKNAME, UID_PREFIX, CheckSpec
from caigunn_provider.kinds.checks.talk import TALK, UID_HEADER

API_KEY_ENV = "CAIGUNN_API_KEY"
# The checks' own questions: AT_ONCE of kinds/checks/runner.py.
MAX_CONCURRENCY = 4
# Our assertion keys whose promptfoo type means the same (promptfoo's names, written with `-`).
SAME_TYPES = {
    "contains": "contains",
    "icontains": "icontains",
    "contains_any": "contains-any",
    "icontains_any": "icontains-any",
    "contains_all": "contains-all",
    "icontains_all": "icontains-all",
    "not_contains": "not-contains",
    "not_icontains": "not-icontains",
    "regex": "regex",
    "not_regex": "not-regex",
}
# A pattern's leading inline flags that JavaScript takes as RegExp flags.
_LEADING_FLAGS = re.compile(r"^\(\?([ims]+)\)")

NOTES = """\
# Answer checks of entry {entry!r} ({source}) for promptfoo, written by
#   python -m caigunn_provider checks export {entry} --promptfoo FILE
# Run it with the chatbot's api_key and the access token in the environment:
#   export {api_key_env}=$(pulumi stack output api_keys --show-secrets --json |
#     jq -r '.["{entry}"]')
#   export {token_env}=...   # the token of `pulumi config get {token_key}`
#   npx promptfoo eval -c FILE
# Every question is one talk and counts against the plan's message limit; each is a
# conversation of its own (nickname {nickname}, uid {uid_prefix}<uuid>), left out of
# `python -m caigunn_provider conversations` like those of `check`.
# Where promptfoo differs from `python -m caigunn_provider check`:
# - `equals` and `starts_with` compare trimmed text, as `check` does (javascript assertions);
# - the `i` assertions lower-case in JavaScript, where `check` also folds Unicode forms (NFKC);
# - a pattern is Python's `re` syntax, run by JavaScript's RegExp: leading (?i), (?m), (?s)
#   become RegExp flags, other Python-only syntax may not work there.
"""
REPEAT_NOTE = """\
# - `repeat` and `min_pass` have no promptfoo equivalent: promptfoo counts each answer on its
#   own (see the comment of each test that `check` repeats).
"""


def promptfoo_config(entry: str, source: str, api_url: str, checks: Sequence[CheckSpec]) -> str:
    """The text of a promptfooconfig.yaml for one entry's checks."""
    provider = {
        "id": "https",
        "label": f"caigunn {entry}",
        "config": {
            "url": f"{api_url.rstrip('/')}{TALK}?nickname={NICKNAME}",
            "method": "POST",
            "headers": {
                API_KEY_HEADER: env_reference(API_KEY_ENV),
                TOKEN_HEADER: env_reference(TOKEN[1]),
                UID_HEADER: "{{uid}}",
                "Content-Type": "application/json",
            },
            "body": {"text": "{{prompt}}"},
            "transformResponse": "json.text",
        },
    }
    repeats = {check.repeat for check in checks}
    evaluate: dict[str, Any] = {"maxConcurrency": MAX_CONCURRENCY, "cache": False}
    if len(repeats) == 1 and checks[0].repeat > 1:
        evaluate["repeat"] = checks[0].repeat
    head = {
        "description": f"answer checks of {entry}",
        "prompts": ["{{question}}"],
        "providers": [provider],
        # A conversation of its own for every question, as `check` asks: promptfoo makes a
        # fresh uuid per test run.
        "defaultTest": {
            "options": {
                "transformVars": f"{{ ...vars, uid: {json.dumps(UID_PREFIX)} + context.uuid }}"
            }
        },
        "evaluateOptions": evaluate,
    }
    parts = [
        NOTES.format(
            entry=entry,
            source=source,
            api_key_env=API_KEY_ENV,
            token_env=TOKEN[1],
            token_key=TOKEN[0],
            nickname=NICKNAME,
            uid_prefix=UID_PREFIX,
        )
        + (REPEAT_NOTE if len(repeats) > 1 or 1 not in repeats else ""),
        _dump(head),
        "tests:\n",
    ]
    for check in checks:
        parts.append(_indented(_test_comment(check, evaluate.get("repeat", 1))))
        parts.append(_indented(_dump([_test(entry, check)])))
    return "".join(parts)


def env_reference(name: str) -> str:
    """`{{env.NAME}}`: promptfoo puts the variable's value there when it runs."""
    return "{{env." + name + "}}"


def _test(entry: str, check: CheckSpec) -> dict[str, Any]:
    where = f" ({check.where})" if check.where else ""
    return {
        "description": f"{entry}: {check.ask}{where}",
        "vars": {"question": check.ask},
        "assert": [item for key, value in check.expect.items() for item in _asserts(key, value)],
    }


def _asserts(key: str, value: Any) -> list[dict[str, Any]]:
    """promptfoo assertions that hold exactly when `key: value` holds (as near as JS allows)."""
    if key == "equals":
        return [_javascript(f"output.trim() === {_js(str(value).strip())}")]
    if key == "starts_with":
        return [_javascript(f"output.trim().startsWith({_js(str(value).strip())})")]
    if key == "max_chars":
        # Code points, as `check` counts: [...output] splits by code point, .length by UTF-16 unit.
        return [_javascript(f"[...output].length <= {int(value)}")]
    if key in ("regex", "not_regex"):
        flags = _LEADING_FLAGS.match(str(value))
        if flags is not None:
            pattern = str(value)[flags.end() :]
            test = f"new RegExp({_js(pattern)}, {_js(flags.group(1))}).test(output)"
            return [_javascript(test if key == "regex" else f"!{test}")]
    promptfoo = SAME_TYPES.get(key)
    if promptfoo is None:
        raise ValueError(f"the assertion {key!r} has no promptfoo form")
    return [{"type": promptfoo, "value": list(value) if isinstance(value, list | tuple) else value}]


def _javascript(expression: str) -> dict[str, Any]:
    return {"type": "javascript", "value": expression}


def _js(text: str) -> str:
    # A JSON string is a JavaScript string literal (U+2028/2029 escaped for older engines).
    return (
        json.dumps(text, ensure_ascii=False)
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


def _test_comment(check: CheckSpec, repeat: int) -> str:
    if check.repeat == 1:
        return ""
    asked = (
        f"promptfoo asks it {check.repeat} times (evaluateOptions.repeat)"
        if repeat == check.repeat
        else f"promptfoo asks it once unless run with --repeat {check.repeat}"
    )
    return (
        f"# `check` asks this {check.repeat} times and passes it when {check.min_pass} of the "
        f"answers pass;\n# {asked}, and each answer passes or fails on its own.\n"
    )


def _dump(value: Mapping[str, Any] | list[Any]) -> str:
    return yaml.safe_dump(
        value, sort_keys=False, allow_unicode=True, default_flow_style=False, width=100
    )


def _indented(text: str) -> str:
    return "".join(f"  {line}" if line.strip() else line for line in text.splitlines(True))
