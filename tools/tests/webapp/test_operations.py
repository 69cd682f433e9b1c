from pathlib import Path

import pytest
from foundry_tools.webapp import probes
from foundry_tools.webapp.operations import WebSourceError, web_operations


def test_every_operation_of_the_web_app_is_found_and_resolved() -> None:
    operations = web_operations()
    assert set(operations) == {"AiRequests", "AskAi", "Uploads", "CreateUpload", "CompleteUpload"}
    for operation in operations.values():
        assert "${" not in operation.document
        assert operation.document.count("{") == operation.document.count("}")
        assert probes.operation_variables(operation)  # each has sample variables
    assert "code" in operations["AskAi"].document  # USER_ERROR_FIELDS was substituted
    assert "__typename" in operations["CreateUpload"].document


def test_a_new_operation_without_sample_variables_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "api.ts").write_text(
        "export const Q = `\n  query Brand($x: Int) { brand(x: $x) { id } }\n`;\n"
    )
    (tmp_path / "api.test.ts").write_text("const T = `query OnlyInTests { a }`;\n")
    operations = web_operations(source=tmp_path)
    assert set(operations) == {"Brand"}
    with pytest.raises(KeyError, match=r"Brand .*operation_variables"):
        probes.operation_variables(operations["Brand"])


def test_unresolvable_source_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "api.ts").write_text("const Q = `query Q { ${ELSEWHERE} }`;\n")
    with pytest.raises(WebSourceError, match="ELSEWHERE"):
        web_operations(source=tmp_path)
    with pytest.raises(WebSourceError, match="not a directory"):
        web_operations(source=tmp_path / "missing")


def test_prompt_samples_match_the_apis_limits() -> None:
    from foundry_api.ai_requests.mutations import MAX_PROMPT_CHARS  # type: ignore[import-untyped]
    from foundry_api.main import MAX_BODY_BYTES  # type: ignore[import-untyped]

    assert probes.MAX_PROMPT_CHARS == MAX_PROMPT_CHARS
    assert len(probes.PROMPTS["8000 characters"]) == MAX_PROMPT_CHARS
    long_japanese = probes.PROMPTS["7000 Japanese characters"]
    assert len(long_japanese) == 7000 and len(long_japanese.encode()) > 16 * 1024  # past the inspection limit
    assert probes.API_MAX_BODY_BYTES == MAX_BODY_BYTES
