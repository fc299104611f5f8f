"""Content digests of knowledge items: what the state keeps to notice a changed item."""

from __future__ import annotations

import hashlib

DIGEST_LENGTH = 64


def of_bytes(content: bytes) -> str:
    """The digest of a file's content (text_file and file items), as read."""
    return hashlib.sha256(content).hexdigest()


def of_text(text: str) -> str:
    """The digest of an inline text item (its UTF-8 bytes, as sent)."""
    return of_bytes(text.encode("utf-8"))


def of_website(url: str, single_page: bool) -> str:
    """The digest of a website item: its URL and whether only that page is crawled."""
    return of_bytes(f"{url}\n{'single_page' if single_page else 'site'}".encode())


def is_digest(value: object) -> bool:
    return (
        isinstance(value, str)
        and len(value) == DIGEST_LENGTH
        and all(char in "0123456789abcdef" for char in value)
    )
