"""A deterministic OpenAI-compatible chat-completions server for demos, tests and benchmarks.

Serves POST /v1/chat/completions, GET /v1/models and GET /healthz on 127.0.0.1, plus
GET /__stub/calls and POST /__stub/reset for inspection. Every behaviour is reproducible:

- the answer is derived from the prompt ("echo: <prompt> #<sha256 prefix>"), token counts from it;
- `latency_ms` delays every answer;
- `failure_rate` fails that share of calls, drawn from a generator seeded with `seed`;
- `script` is a list of statuses (or "hang") served in order, before the other rules apply;
- `hang` holds every call open (bounded by `hang_seconds`) so callers exercise their deadlines;
- a 429 carries `Retry-After: <retry_after>`.

From Python: `with AiStub(script=[500, 500, 200]) as stub: ...` gives `stub.base_url` (…/v1) and
`stub.call_count`. From a shell: `python -m foundry_twin.ai_stub --port 8091 --latency-ms 50`.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import random
import threading
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from typing import Any, Literal, Self

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from foundry_twin.serving import BackgroundServer, BackgroundService

DEFAULT_MODEL = "foundry-stub-1"
HANG: Literal["hang"] = "hang"
HOST = "127.0.0.1"
STARTUP_TIMEOUT_SECONDS = 10.0
_HANG_POLL_SECONDS = 0.05
_ECHO_CHARS = 200

ScriptStep = int | Literal["hang"]


@dataclass(frozen=True, slots=True)
class StubBehaviour:
    latency_ms: int = 0
    failure_rate: float = 0.0
    failure_status: int = 500
    seed: int = 0
    script: tuple[ScriptStep, ...] = ()
    hang: bool = False
    hang_seconds: float = 60.0
    retry_after: str | None = "1"
    model: str = DEFAULT_MODEL
    api_key: str | None = None

    def __post_init__(self) -> None:
        if not 0.0 <= self.failure_rate <= 1.0:
            raise ValueError("failure_rate must be within 0..1")
        if self.latency_ms < 0 or self.hang_seconds < 0:
            raise ValueError("latency_ms and hang_seconds must not be negative")
        for step in self.script:
            if step != HANG and not (isinstance(step, int) and 100 <= step <= 599):
                raise ValueError(f"script steps are HTTP statuses or 'hang', not {step!r}")


@dataclass(frozen=True, slots=True)
class RecordedCall:
    method: str
    path: str
    body: Any
    authorization: str | None
    request_id: str | None
    outcome: ScriptStep
    # The W3C trace context the caller sent (ai's upstream call carries its span's, issue 17).
    traceparent: str | None = None


def answer_for(prompt: str, *, max_tokens: int | None = None) -> str:
    """The stub's answer to a prompt: the same prompt always gives the same answer."""
    digest = hashlib.sha256(prompt.encode()).hexdigest()[:12]
    words = f"echo: {' '.join(prompt.split())[:_ECHO_CHARS]}".split()
    if max_tokens is not None:
        words = words[: max(1, max_tokens - 1)]
    return " ".join([*words, f"#{digest}"])


def _prompt_of(body: Any) -> str | None:
    if not isinstance(body, dict) or not isinstance(body.get("messages"), list):
        return None
    texts = [m.get("content") for m in body["messages"] if isinstance(m, dict)]
    if not texts or not all(isinstance(t, str) for t in texts):
        return None
    return "\n".join(t for t in texts if isinstance(t, str))


class AiStub(BackgroundService):
    def __init__(self, behaviour: StubBehaviour | None = None, **overrides: Any) -> None:
        if "script" in overrides:
            overrides["script"] = tuple(overrides["script"])
        self._lock = threading.Lock()
        self._behaviour = replace(behaviour or StubBehaviour(), **overrides)
        self._rng = random.Random(self._behaviour.seed)  # noqa: S311 - reproducible failures, not crypto
        self._script_position = 0
        self._calls: list[RecordedCall] = []
        self._stopping = threading.Event()
        self._server: BackgroundServer | None = None
        self.app = Starlette(
            routes=[
                Route("/v1/chat/completions", self._chat, methods=["POST"]),
                Route("/v1/models", self._models, methods=["GET"]),
                Route("/healthz", self._healthz, methods=["GET"]),
                Route("/__stub/calls", self._calls_view, methods=["GET"]),
                Route("/__stub/reset", self._reset_view, methods=["POST"]),
            ]
        )

    # -- state, safe to use from the test thread while the server thread answers

    @property
    def behaviour(self) -> StubBehaviour:
        return self._behaviour

    def configure(self, **changes: Any) -> None:
        """Changes the behaviour; the script and the failure generator start over."""
        if "script" in changes:
            changes["script"] = tuple(changes["script"])
        with self._lock:
            self._behaviour = replace(self._behaviour, **changes)
            self._rng = random.Random(self._behaviour.seed)  # noqa: S311
            self._script_position = 0

    def reset(self, behaviour: StubBehaviour | None = None) -> None:
        """Forgets recorded calls and restarts the script and the failure generator; with a
        `behaviour`, also replaces the whole behaviour (one server can then serve many tests)."""
        with self._lock:
            if behaviour is not None:
                self._behaviour = behaviour
            self._calls.clear()
            self._rng = random.Random(self._behaviour.seed)  # noqa: S311
            self._script_position = 0

    @property
    def calls(self) -> list[RecordedCall]:
        with self._lock:
            return list(self._calls)

    @property
    def call_count(self) -> int:
        """Chat-completion calls received (the only ones that cost money upstream)."""
        with self._lock:
            return sum(1 for call in self._calls if call.path.endswith("/chat/completions"))

    def _next_outcome(self, behaviour: StubBehaviour) -> ScriptStep:
        with self._lock:
            if self._script_position < len(behaviour.script):
                step = behaviour.script[self._script_position]
                self._script_position += 1
                return step
            if behaviour.hang:
                return HANG
            if behaviour.failure_rate > 0 and self._rng.random() < behaviour.failure_rate:
                return behaviour.failure_status
            return 200

    # -- HTTP handlers

    async def _chat(self, request: Request) -> Response:
        behaviour = self._behaviour
        try:
            body: Any = await request.json()
        except ValueError:
            body = None
        authorized = behaviour.api_key is None or request.headers.get("authorization") == (
            f"Bearer {behaviour.api_key}"
        )
        outcome: ScriptStep = self._next_outcome(behaviour) if authorized else 401
        with self._lock:
            self._calls.append(
                RecordedCall(
                    method=request.method,
                    path=request.url.path,
                    body=body,
                    authorization=request.headers.get("authorization"),
                    request_id=request.headers.get("x-request-id"),
                    outcome=outcome,
                    traceparent=request.headers.get("traceparent"),
                )
            )
        if behaviour.latency_ms:
            await asyncio.sleep(behaviour.latency_ms / 1000)
        if outcome == HANG:
            return await self._hang(request, behaviour)
        if outcome == 200:
            prompt = _prompt_of(body)
            if prompt is None:
                return self._error(400, "messages must be a list of {role, content} objects", behaviour)
            return self._completion(body, prompt, behaviour)
        assert isinstance(outcome, int)
        return self._error(outcome, "scripted failure" if authorized else "invalid API key", behaviour)

    async def _hang(self, request: Request, behaviour: StubBehaviour) -> Response:
        deadline = time.monotonic() + behaviour.hang_seconds
        while time.monotonic() < deadline and not self._stopping.is_set():
            if await request.is_disconnected():
                break
            await asyncio.sleep(_HANG_POLL_SECONDS)
        return self._error(504, "stub hung up", behaviour)

    @staticmethod
    def _completion(body: dict[str, Any], prompt: str, behaviour: StubBehaviour) -> Response:
        max_tokens = body.get("max_tokens")
        answer = answer_for(prompt, max_tokens=max_tokens if isinstance(max_tokens, int) else None)
        prompt_tokens, completion_tokens = max(1, len(prompt.split())), len(answer.split())
        digest = hashlib.sha256(prompt.encode()).hexdigest()[:24]
        return JSONResponse(
            {
                "id": f"chatcmpl-{digest}",
                "object": "chat.completion",
                "created": 0,
                "model": str(body.get("model") or behaviour.model),
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": answer},
                        "finish_reason": "stop",
                    }
                ],
                "usage": {
                    "prompt_tokens": prompt_tokens,
                    "completion_tokens": completion_tokens,
                    "total_tokens": prompt_tokens + completion_tokens,
                },
            }
        )

    @staticmethod
    def _error(status: int, message: str, behaviour: StubBehaviour) -> Response:
        headers = {"Retry-After": behaviour.retry_after} if status == 429 and behaviour.retry_after else {}
        return JSONResponse(
            {"error": {"message": f"{message} (HTTP {status})", "type": "stub_error", "code": status}},
            status_code=status,
            headers=headers,
        )

    async def _models(self, _: Request) -> Response:
        model = self._behaviour.model
        return JSONResponse(
            {"object": "list", "data": [{"id": model, "object": "model", "owned_by": "foundry-stub"}]}
        )

    async def _healthz(self, _: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def _calls_view(self, _: Request) -> Response:
        calls = self.calls
        return JSONResponse(
            {
                "count": sum(1 for c in calls if c.path.endswith("/chat/completions")),
                "calls": [asdict(c) for c in calls],
            }
        )

    async def _reset_view(self, _: Request) -> Response:
        self.reset()
        return JSONResponse({"status": "reset"})

    # -- server lifecycle

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("AiStub is not started")
        return self._server.url

    @property
    def base_url(self) -> str:
        """What AI_UPSTREAM_BASE_URL should be: the OpenAI-style …/v1 root."""
        return self.url + "/v1"

    def start(self, *, port: int = 0) -> Self:
        if self._server is not None:
            raise RuntimeError("AiStub is already started")
        self._stopping.clear()
        server = BackgroundServer(
            self.app, name="ai-stub", port=port, startup_timeout=STARTUP_TIMEOUT_SECONDS, shutdown_timeout=10
        )
        server.start()
        self._server = server
        return self

    def stop(self) -> None:
        # Set first: handlers holding a hanging call open return, so the server can drain.
        self._stopping.set()
        if self._server is not None:
            self._server.stop()
        self._server = None


def _script(value: str) -> tuple[ScriptStep, ...]:
    steps: list[ScriptStep] = []
    for raw in (part.strip() for part in value.split(",")):
        if raw == HANG:
            steps.append(HANG)
        elif raw:
            steps.append(int(raw))
    return tuple(steps)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m foundry_twin.ai_stub", description=__doc__.splitlines()[0] if __doc__ else None
    )
    parser.add_argument("--port", type=int, default=8091, help="port on 127.0.0.1 (default 8091)")
    parser.add_argument("--latency-ms", type=int, default=0)
    parser.add_argument("--failure-rate", type=float, default=0.0, help="share of calls failing, 0..1")
    parser.add_argument("--failure-status", type=int, default=500)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--script", type=_script, default=(), help="e.g. 500,500,200 or 429,hang,200")
    parser.add_argument("--hang", action="store_true", help="hold every call open")
    parser.add_argument("--hang-seconds", type=float, default=60.0)
    parser.add_argument("--retry-after", default="1", help="Retry-After value sent with 429s")
    parser.add_argument("--model", default=DEFAULT_MODEL)
    parser.add_argument("--api-key", default=None, help="require 'Authorization: Bearer <key>'")
    args = parser.parse_args(argv)
    stub = AiStub(
        StubBehaviour(
            latency_ms=args.latency_ms,
            failure_rate=args.failure_rate,
            failure_status=args.failure_status,
            seed=args.seed,
            script=args.script,
            hang=args.hang,
            hang_seconds=args.hang_seconds,
            retry_after=args.retry_after or None,
            model=args.model,
            api_key=args.api_key,
        )
    )
    print(f"ai stub: base URL http://{HOST}:{args.port}/v1 (Ctrl-C stops)", flush=True)
    uvicorn.run(stub.app, host=HOST, port=args.port, log_level="warning", access_log=False, lifespan="off")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
