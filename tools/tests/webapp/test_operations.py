import json
from pathlib import Path

import pytest
from foundry_tools.webapp import probes
from foundry_tools.webapp.operations import WEB_DOCUMENTS, WebSourceError, web_operations

WEB_OPERATIONS = {
    "WorkspaceQuery",
    "UploadsPanelPaginationQuery",
    "AiPanelPaginationQuery",
    "uploadFileCreateMutation",
    "uploadFileCompleteMutation",
    "AiPanelAskMutation",
}


def test_every_operation_of_the_web_app_is_read_from_the_compilers_persisted_documents() -> None:
    operations = web_operations()
    assert set(operations) == WEB_OPERATIONS
    compiled = json.loads(WEB_DOCUMENTS.read_text())
    for operation in operations.values():
        assert compiled[operation.document_id] == operation.document
        assert len(operation.document_id) == 64  # SHA-256, hex (relay.config.json persistConfig)
        assert operation.document.count("{") == operation.document.count("}")
        assert probes.operation_variables(operation)  # each has sample variables
    # The fragments an operation spreads come with it: the api runs the document as it stands.
    assert "fragment UploadItem_upload on Upload" in operations["WorkspaceQuery"].document
    assert "... on UserError" in operations["AiPanelAskMutation"].document


def test_the_web_app_probes_send_ids_only() -> None:
    operations = web_operations()
    for probe in probes.web_app_probes(operations):
        body = json.loads(probe.body)
        assert set(body) == {"documentId", "variables"}, probe.name
        assert body["documentId"] == operations[str(probe.operation)].document_id


def test_a_new_operation_without_sample_variables_is_a_clear_error(tmp_path: Path) -> None:
    compiled = tmp_path / "persisted-documents.json"
    compiled.write_text(json.dumps({"abc": "query Brand($x: Int) {\n  brand(x: $x) {\n    id\n  }\n}\n"}))
    operations = web_operations(documents=compiled)
    assert set(operations) == {"Brand"}
    with pytest.raises(KeyError, match=r"Brand .*operation_variables"):
        probes.operation_variables(operations["Brand"])


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, r"is missing: compile the web app's operations first \(cd services/web && npm run relay"),
        ("{not json", "is not JSON"),
        ('["query Q { a }"]', "must map document ids to document text"),
        ('{"a": "fragment F on Viewer { id }"}', "does not start with an operation"),
        ('{"a": "query Q { a }", "b": "query Q { b }"}', "operation Q is in .* twice"),
        ("{}", "holds no operation"),
    ],
)
def test_missing_or_malformed_documents_are_a_clear_error(
    tmp_path: Path, content: str | None, message: str
) -> None:
    compiled = tmp_path / "persisted-documents.json"
    if content is not None:
        compiled.write_text(content)
    with pytest.raises(WebSourceError, match=message):
        web_operations(documents=compiled)


def test_prompt_samples_match_the_apis_limits() -> None:
    from foundry_api.ai_requests.mutations import MAX_PROMPT_CHARS  # type: ignore[import-untyped]
    from foundry_api.main import MAX_BODY_BYTES  # type: ignore[import-untyped]

    assert probes.MAX_PROMPT_CHARS == MAX_PROMPT_CHARS
    assert len(probes.PROMPTS["8000 characters"]) == MAX_PROMPT_CHARS
    long_japanese = probes.PROMPTS["7000 Japanese characters"]
    assert len(long_japanese) == 7000 and len(long_japanese.encode()) > 16 * 1024  # past the inspection limit
    assert probes.API_MAX_BODY_BYTES == MAX_BODY_BYTES
