from __future__ import annotations

import asyncio
import uuid
from typing import Annotated

import strawberry

from foundry_api.ai_requests.client import AiCallError, Completion
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
        context, services = info.context, info.context.services
        if context.principal is None:
            raise PermissionError("not signed in")
        sub = context.principal.sub

        async def ask() -> Completion | AiCallError:
            try:
                return await services.ai.complete(prompt=prompt, user=sub, request_id=context.request_id)
            except AiCallError as exc:
                return exc

        # The user's row is looked up while ai works (ai needs only the token's sub): the lookup
        # leaves the request's critical path. A failing lookup cancels the call.
        try:
            async with asyncio.TaskGroup() as group:
                viewer_task = group.create_task(context.viewer())
                outcome_task = group.create_task(ask())
        except BaseExceptionGroup as failed:
            raise failed.exceptions[0] from None
        viewer, outcome = viewer_task.result(), outcome_task.result()
        if isinstance(outcome, AiCallError):
            return UserError(code=outcome.code, message=outcome.message, field=None)
        completion = outcome
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
