from __future__ import annotations

import uuid
from typing import Annotated

import strawberry

from foundry_api.ai_requests.client import AiCallError
from foundry_api.ai_requests.repository import insert_ai_request
from foundry_api.ai_requests.types import AiRequest, AskAiInput, AskAiPayload, AskAiResult
from foundry_api.context import Info
from foundry_api.core.types import UserError

MAX_PROMPT_CHARS = 8000


@strawberry.type
class AiRequestMutations:
    @strawberry.mutation
    async def ask_ai(
        self, *, info: Info, input_: Annotated[AskAiInput, strawberry.argument(name="input")]
    ) -> AskAiResult:
        prompt = input_.prompt.strip()
        if not prompt or len(prompt) > MAX_PROMPT_CHARS:
            return UserError(
                code="INVALID_PROMPT",
                message=f"The prompt must be 1 to {MAX_PROMPT_CHARS} characters.",
                field="prompt",
            )
        if "\x00" in prompt:  # Postgres text cannot hold NUL (found by the abuse suite's fuzzing)
            return UserError(
                code="INVALID_PROMPT", message="The prompt contains a NUL character.", field="prompt"
            )
        viewer = await info.context.viewer()
        services = info.context.services
        try:
            completion = await services.ai.complete(
                prompt=prompt, user=viewer.clerk_sub, request_id=info.context.request_id
            )
        except AiCallError as exc:
            return UserError(code=exc.code, message=exc.message, field=None)
        row = await insert_ai_request(
            services.pool,
            request_id=uuid.uuid4(),
            owner_id=viewer.id,
            prompt=prompt,
            answer=completion.answer,
            model=completion.model,
            latency_ms=completion.latency_ms,
        )
        return AskAiPayload(ai_request=AiRequest.from_row(row))
