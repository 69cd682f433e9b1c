"""TextTransformations, applied in priority order (lowest first) before a statement inspects a value.

https://docs.aws.amazon.com/waf/latest/APIReference/API_TextTransformation.html: "If you specify one
or more transformations in a rule statement, AWS WAF performs all transformations on the content of
the request component identified by FieldToMatch, starting from the lowest priority setting". The
behaviour of each type below follows that page's description of it; a type whose exact behaviour
the page leaves open (CSS_DECODE, JS_DECODE, ESCAPE_SEQ_DECODE, SQL_HEX_DECODE, REPLACE_COMMENTS,
URL_DECODE_UNI, UTF8_TO_UNICODE, BASE64_DECODE_EXT, NORMALIZE_PATH_WIN) is reported as not emulated.
"""

import base64
import binascii
import hashlib
import html
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any
from urllib.parse import unquote_to_bytes

from foundry_waf.errors import NotEmulatedError

# COMPRESS_WHITE_SPACE: "\f, \t, \n, \r, \v, decimal 160 (non-breaking space)" become a space, then
# runs of spaces become one.
_WHITE_SPACE = re.compile(rb"[\f\t\n\r\v\xa0 ]+")
_CMD_LINE_DELETE = re.compile(rb"[\\\"'^]")
_CMD_LINE_SPACE_BEFORE = re.compile(rb" +(?=[/(])")
_CMD_LINE_SEPARATORS = re.compile(rb"[,;]")
_SPACES = re.compile(rb" +")


def _compress_white_space(value: bytes) -> bytes:
    return _WHITE_SPACE.sub(b" ", value)


def _cmd_line(value: bytes) -> bytes:
    # "Delete \ " ' ^; delete spaces before / and (; replace , and ; with a space; replace multiple
    # spaces with one space; convert uppercase letters (A-Z) to lowercase (a-z)."
    value = _CMD_LINE_DELETE.sub(b"", value)
    value = _CMD_LINE_SPACE_BEFORE.sub(b"", value)
    value = _CMD_LINE_SEPARATORS.sub(b" ", value)
    return _SPACES.sub(b" ", value).lower()


def _html_entity_decode(value: bytes) -> bytes:
    # Entities (&quot; &#34; &#x22; and the named ones) become the characters they stand for.
    return html.unescape(value.decode("utf-8", "surrogateescape")).encode("utf-8", "surrogateescape")


def _base64_decode(value: bytes) -> bytes:
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return value  # not Base64: left as it is


def _hex_decode(value: bytes) -> bytes:
    try:
        return bytes.fromhex(value.decode("ascii"))
    except (UnicodeDecodeError, ValueError):
        return value


def _normalize_path(value: bytes) -> bytes:
    # "Remove multiple slashes, directory self-references, and directory back-references that are
    # not at the beginning of the input from an input string."
    absolute = value.startswith(b"/")
    kept: list[bytes] = []
    for segment in value.split(b"/"):
        if segment in (b"", b"."):
            continue
        if segment == b".." and kept and kept[-1] != b"..":
            kept.pop()
        else:
            kept.append(segment)
    normalized = b"/".join(kept)
    trailing = b"/" if value.endswith(b"/") and normalized else b""
    return (b"/" if absolute else b"") + normalized + trailing


_TRANSFORMS: Mapping[str, Callable[[bytes], bytes]] = {
    "NONE": lambda value: value,
    # "Convert uppercase letters (A-Z) to lowercase (a-z)": ASCII only, as bytes.lower() is.
    "LOWERCASE": bytes.lower,
    "COMPRESS_WHITE_SPACE": _compress_white_space,
    "CMD_LINE": _cmd_line,
    "HTML_ENTITY_DECODE": _html_entity_decode,
    # "Decode from URL encoding": %XX sequences; an invalid one stays as it is.
    "URL_DECODE": unquote_to_bytes,
    "REMOVE_NULLS": lambda value: value.replace(b"\x00", b""),
    "REPLACE_NULLS": lambda value: value.replace(b"\x00", b" "),
    "BASE64_DECODE": _base64_decode,
    "HEX_DECODE": _hex_decode,
    "MD5": lambda value: hashlib.md5(value, usedforsecurity=False).digest(),
    "NORMALIZE_PATH": _normalize_path,
}


def transform(value: bytes, transformations: Sequence[Mapping[str, Any]]) -> bytes:
    """`value` after every transformation, lowest `Priority` first."""
    for step in sorted(transformations, key=lambda t: int(t["Priority"])):
        kind = str(step["Type"])
        function = _TRANSFORMS.get(kind)
        if function is None:
            raise NotEmulatedError(f"text transformation {kind}")
        value = function(value)
    return value
