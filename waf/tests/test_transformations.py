import pytest
from foundry_waf.errors import NotEmulatedError
from foundry_waf.transformations import transform


def _steps(*kinds: str) -> list[dict[str, object]]:
    return [{"Priority": priority, "Type": kind} for priority, kind in enumerate(kinds)]


@pytest.mark.parametrize(
    ("kinds", "given", "expected"),
    [
        (("NONE",), b"AbC", b"AbC"),
        (("LOWERCASE",), b"/GraphQL \xc3\x89", b"/graphql \xc3\x89"),  # ASCII letters only
        (("COMPRESS_WHITE_SPACE",), b"a \t\n\r\x0b\x0c\xa0  b", b"a b"),
        (("URL_DECODE",), b"%5F%5Fschema%zz", b"__schema%zz"),
        (("HTML_ENTITY_DECODE",), b"&lt;script&gt;&#x41;&#66;", b"<script>AB"),
        (("REMOVE_NULLS",), b"a\x00b", b"ab"),
        (("REPLACE_NULLS",), b"a\x00b", b"a b"),
        (("BASE64_DECODE",), b"X19zY2hlbWE=", b"__schema"),
        (("BASE64_DECODE",), b"not base64!", b"not base64!"),
        (("HEX_DECODE",), b"5f5f", b"__"),
        (("NORMALIZE_PATH",), b"/x//y/./../graphql", b"/x/graphql"),
        (("NORMALIZE_PATH",), b"/a/../graphql", b"/graphql"),
        (("CMD_LINE",), b"C^MD.EXE /c 'dir' ,x;y  (z)", b"cmd.exe/c dir x y(z)"),
    ],
)
def test_each_transformation(kinds: tuple[str, ...], given: bytes, expected: bytes) -> None:
    assert transform(given, _steps(*kinds)) == expected


def test_transformations_run_lowest_priority_first() -> None:
    # URL-decode then lowercase, whatever order the list is written in.
    steps = [{"Priority": 5, "Type": "LOWERCASE"}, {"Priority": 1, "Type": "URL_DECODE"}]
    assert transform(b"%41B", steps) == b"ab"
    # Base64 of "QUJD" is "ABC"; lowercasing first would decode something else.
    assert transform(b"QUJD", _steps("BASE64_DECODE", "LOWERCASE")) == b"abc"
    assert transform(b"QUJD", _steps("LOWERCASE", "BASE64_DECODE")) != b"abc"


def test_undocumented_transformation_is_reported() -> None:
    with pytest.raises(NotEmulatedError, match="JS_DECODE"):
        transform(b"x", _steps("JS_DECODE"))
