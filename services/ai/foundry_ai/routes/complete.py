"""POST /v1/complete: one prompt in, one answer out."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from foundry_runtime import request_id_of
from pydantic import BaseModel, ConfigDict, Field

from foundry_ai.core.config import OUTPUT_TOKENS_HARD_LIMIT, PROMPT_HARD_LIMIT, Settings
from foundry_ai.upstream.gateway import CompletionGateway

router = APIRouter(prefix="/v1", tags=["completions"])


class CompleteRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)

    prompt: str = Field(
        min_length=1,
        max_length=PROMPT_HARD_LIMIT,
        description="The user's prompt; at most AI_PROMPT_MAX_CHARS characters.",
    )
    max_tokens: int | None = Field(
        default=None,
        ge=1,
        le=OUTPUT_TOKENS_HARD_LIMIT,
        description="Largest answer in tokens; at most AI_MAX_OUTPUT_TOKENS (also the default).",
    )
    user: str | None = Field(
        default=None, max_length=256, description="Opaque caller id, forwarded for abuse tracking."
    )


class UsageOut(BaseModel):
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int


class CompleteResponse(BaseModel):
    answer: str
    model: str
    usage: UsageOut
    latency_ms: int


class PromptLimitError(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# Both dependencies are `async def`: FastAPI runs a plain `def` one in the thread pool, a thread
# round trip per dependency per request for what is only an attribute lookup.
async def get_gateway(request: Request) -> CompletionGateway:
    gateway: CompletionGateway = request.app.state.gateway
    return gateway


async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


@router.post("/complete", response_model=CompleteResponse)
async def complete(
    body: CompleteRequest,
    request: Request,
    gateway: Annotated[CompletionGateway, Depends(get_gateway)],
    settings: Annotated[Settings, Depends(get_settings)],
) -> CompleteResponse:
    if len(body.prompt) > settings.ai_prompt_max_chars:
        raise PromptLimitError(f"prompt exceeds {settings.ai_prompt_max_chars} characters")
    if body.max_tokens is not None and body.max_tokens > settings.ai_max_output_tokens:
        raise PromptLimitError(f"max_tokens exceeds {settings.ai_max_output_tokens}")
    result = await gateway.complete(
        prompt=body.prompt,
        max_tokens=body.max_tokens or settings.ai_max_output_tokens,
        user=body.user,
        request_id=request_id_of(request.scope),
    )
    return CompleteResponse(
        answer=result.answer,
        model=result.model,
        usage=UsageOut(
            prompt_tokens=result.usage.prompt_tokens,
            completion_tokens=result.usage.completion_tokens,
            total_tokens=result.usage.total_tokens,
        ),
        latency_ms=result.latency_ms,
    )
