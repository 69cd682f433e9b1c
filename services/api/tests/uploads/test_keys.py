from __future__ import annotations

import unicodedata
import uuid

from foundry_api.uploads.keys import MAX_SAFE_FILENAME_CHARS, build_object_key, safe_filename
from hypothesis import given, settings
from hypothesis import strategies as st

SUB = "user_2abcDEF123"

hostile_names = st.one_of(
    st.text(max_size=1100),
    st.lists(
        st.sampled_from(
            [
                ".",
                "/",
                "\\",
                "..",
                "%2e%2e",
                "%2f",
                "～",
                "／",
                "＼",
                "\u2024",
                "\u202e",
                "\x00",
                "\n",
                " ",
                "a",
            ]
        ),
        max_size=200,
    ).map("".join),
    st.builds(lambda a, b: f"{a}/../../{b}", st.text(max_size=50), st.text(max_size=50)),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=900, max_size=1100),
)


@settings(max_examples=400, deadline=None)
@given(filename=hostile_names)
def test_keys_stay_under_the_users_prefix_whatever_the_filename(filename: str) -> None:
    upload_id = uuid.uuid4()
    key = build_object_key(sub=SUB, upload_id=upload_id, filename=filename)
    assert key.startswith(f"uploads/{SUB}/{upload_id}/")
    segments = key.split("/")
    assert len(segments) == 4
    assert all(segment not in ("", ".", "..") for segment in segments)
    assert ".." not in key
    assert "\\" not in key
    name = segments[-1]
    assert 0 < len(name) <= MAX_SAFE_FILENAME_CHARS
    assert unicodedata.normalize("NFKC", name) == name
    assert all(ch.isprintable() for ch in name)


def test_ordinary_names_stay_recognisable() -> None:
    assert safe_filename("Quarterly report (final).pdf") == "Quarterly_report_final_.pdf"
    assert safe_filename("../../etc/passwd") == "passwd"
    assert safe_filename("C:\\Users\\me\\photo.png") == "photo.png"
    assert safe_filename("..") == "file"
    assert safe_filename("ｆｕｌｌ／ｗｉｄｔｈ.txt") == "width.txt"
    long_name = safe_filename("a" * 500 + ".jpeg")
    assert long_name.endswith(".jpeg")
    assert len(long_name) == MAX_SAFE_FILENAME_CHARS
