"""The proven scan a run's creates need, begun by the program and handed to the provider.

A create's check records `__prior_ids`, the ids that had its title when it was checked (so that a
later run can tell which chatbot an interrupted create made: kinds/chatbot/recovery.py); that
takes a proven scan of the account's chatbot list. In the provider process the scan could only
begin once the engine had started the provider and sent it the first check. The program knows
sooner which entries are new: once its own checks have passed. So the program scans in the
background while it declares and the engine starts the provider, and writes what the creates
need (the ids of each new entry's title, the list's length and its page size; no api_key) to a
file of its own.
Each new Chatbot names that file in its `__scan` input, which the provider's check spends: it
never reaches the state. A failed or late scan leaves the provider to scan for itself, as before.

Runs in both processes: start() in the program, prior_ids() in the provider.
"""

from __future__ import annotations

import atexit
import json
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Collection
from dataclasses import dataclass

from caigunn_provider.config import ProviderConfig
from caigunn_provider.listing import scan

SCAN = "__scan"
# How long a check waits for the program's scan to be written before it scans for itself.
LONGEST_WAIT = 60.0
POLL = 0.01


def start(config: ProviderConfig, titles: Collection[str]) -> str | None:
    """Begin the proven scan for these titles in the background; the path its result will be
    written to (None when there is nothing to scan for)."""
    if not titles:
        return None
    folder = tempfile.mkdtemp(prefix="caigunn-scan-")  # readable by this user alone
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    path = os.path.join(folder, "scan.json")
    threading.Thread(
        target=_scan, args=(config, frozenset(titles), path), name="caigunn-prescan", daemon=True
    ).start()
    return path


def _scan(config: ProviderConfig, titles: frozenset[str], path: str) -> None:
    client = config.client()
    try:
        snapshot = scan(client.list_chatbots_page, proven=True)
        rows = snapshot.rows.values()
        found: dict[str, list[str]] = {title: [] for title in titles}
        for row in rows:
            if row.title in found:
                found[row.title].append(row.id)
        result: dict[str, object] = {
            "size": len(rows),
            "page_size": snapshot.page_size,
            "prior_ids": {title: sorted(ids) for title, ids in found.items()},
        }
    except Exception as exc:
        # The provider scans for itself and says what fails there; a file that never came would
        # hold its checks for LONGEST_WAIT first.
        result = {"failed": type(exc).__name__}
    finally:
        client.close()
    written = f"{path}.part"
    try:
        with open(written, "w", encoding="utf-8") as file:
            json.dump(result, file)
        os.replace(written, path)
    except OSError:
        pass  # the program is ending (its folder is gone): no check is left to read it


@dataclass(frozen=True)
class Handed:
    """What the program's scan found for one title."""

    prior_ids: list[str]
    size: int
    page_size: int


_read: dict[str, dict[str, object] | None] = {}
_lock = threading.Lock()


def prior_ids(path: object, title: str) -> Handed | None:
    """The ids the program's scan found titled `title`, once it is written; None when there is
    no such scan, it failed, did not cover the title, or is not written within LONGEST_WAIT."""
    if not isinstance(path, str) or not path:
        return None
    with _lock:
        if path not in _read:
            _read[path] = _wait_for(path)
        result = _read[path]
    if not result:
        return None
    found, size, page_size = result.get("prior_ids"), result.get("size"), result.get("page_size")
    if not isinstance(found, dict) or not isinstance(size, int) or not isinstance(page_size, int):
        return None
    ids = found.get(title)
    if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
        return None
    return Handed(sorted(ids), size, page_size)


def _wait_for(path: str) -> dict[str, object] | None:
    deadline = time.monotonic() + LONGEST_WAIT
    while True:
        try:
            with open(path, encoding="utf-8") as file:
                loaded = json.load(file)
            return loaded if isinstance(loaded, dict) else None
        except FileNotFoundError:
            if time.monotonic() >= deadline or not os.path.isdir(os.path.dirname(path)):
                return None
            time.sleep(POLL)
        except (OSError, ValueError):
            return None
