"""The content digest of a knowledge item: one rule, shared by the stack file and the provider."""

from __future__ import annotations

import hashlib
import json

__all__ = ["file_digest", "text_digest", "text_file_text", "website_digest"]


def text_digest(text: str) -> str:
    """sha256 hex of the text as sent (UTF-8): an inline text, or a text file's text."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def file_digest(raw: bytes) -> str:
    """sha256 hex of a file uploaded as it is: its bytes."""
    return hashlib.sha256(raw).hexdigest()


def website_digest(url: str, single_page: bool) -> str:
    """sha256 hex of what identifies a crawl: its URL and whether it stops at that page."""
    # JSON keeps the two apart without a separator the URL could hold.
    return hashlib.sha256(json.dumps([url, single_page]).encode("utf-8")).hexdigest()


def text_file_text(raw: bytes) -> str:
    """A text file's text as it is sent: UTF-8 (a byte-order mark dropped), CRLF read as LF.

    UnicodeDecodeError when the bytes are not UTF-8. A Windows checkout (core.autocrlf) thus
    has the same digest as any other, and does not replace the item.
    """
    return raw.decode("utf-8-sig").replace("\r\n", "\n")
