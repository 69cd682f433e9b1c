"""Object keys for uploads: always `uploads/{sub}/{uuid}/{safe filename}` (spec §5, §6).

The key is built on the server. The client's filename only contributes a sanitized last segment,
so no name can climb out of the user's prefix, which the api role's IAM policy and the per-user
prefix both rely on.
"""

from __future__ import annotations

import re
import unicodedata
from uuid import UUID

MAX_SAFE_FILENAME_CHARS = 100
_MAX_EXTENSION_CHARS = 16
_FALLBACK_NAME = "file"
_ALLOWED_PUNCTUATION = frozenset("._-")


def safe_filename(filename: str) -> str:
    # NFKC first: it folds look-alikes such as the fullwidth solidus (U+FF0F) into "/" before we split.
    name = unicodedata.normalize("NFKC", filename)
    name = re.split(r"[/\\]", name)[-1]
    name = "".join(
        ch if ch in _ALLOWED_PUNCTUATION or (ch.isalnum() and ch.isprintable()) else "_" for ch in name
    )
    name = re.sub(r"\.{2,}", ".", name)
    name = re.sub(r"_{2,}", "_", name)
    name = name.strip("._-")
    if len(name) > MAX_SAFE_FILENAME_CHARS:
        stem, dot, extension = name.rpartition(".")
        if dot and stem and len(extension) <= _MAX_EXTENSION_CHARS:
            name = stem[: MAX_SAFE_FILENAME_CHARS - len(extension) - 1].rstrip("._-") + "." + extension
        else:
            name = name[:MAX_SAFE_FILENAME_CHARS].rstrip("._-")
    # A second NFKC pass is a no-op for what survives above, but keeps the guarantee explicit.
    name = unicodedata.normalize("NFKC", name)
    return name or _FALLBACK_NAME


def user_prefix(sub: str) -> str:
    return f"uploads/{sub}/"


def build_object_key(*, sub: str, upload_id: UUID, filename: str) -> str:
    return f"{user_prefix(sub)}{upload_id}/{safe_filename(filename)}"
