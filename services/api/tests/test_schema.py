from __future__ import annotations

from pathlib import Path

from foundry_api.schema_export import REGENERATE_COMMAND, SDL_PATH, current_sdl


def test_committed_sdl_is_current() -> None:
    committed = SDL_PATH.read_text(encoding="utf-8") if SDL_PATH.exists() else ""
    assert committed == current_sdl(), (
        f"{SDL_PATH.name} is stale; regenerate it from the repository root with:\n"
        f"  cd services/api && ../../{REGENERATE_COMMAND}\n(or: {REGENERATE_COMMAND} from the repo root)"
    )


def test_sdl_keeps_the_names_the_web_app_uses() -> None:
    sdl = Path(SDL_PATH).read_text(encoding="utf-8")
    for expected in (
        "interface Node {",
        "node(id: ID!): Node",
        "viewer: Viewer!",
        "type Viewer implements Node {",
        "uploads(first: Int = 20, after: String = null): UploadConnection!",
        "aiRequests(first: Int = 20, after: String = null): AiRequestConnection!",
        "downloadUrl: String",
        "union CreateUploadResult = CreateUploadPayload | UserError",
        "union CompleteUploadResult = CompleteUploadPayload | UserError",
        "union AskAiResult = AskAiPayload | UserError",
        "createUpload(input: CreateUploadInput!): CreateUploadResult!",
        "completeUpload(input: CompleteUploadInput!): CompleteUploadResult!",
        "askAi(input: AskAiInput!): AskAiResult!",
        "type HttpHeader {",
    ):
        assert expected in sdl, expected
