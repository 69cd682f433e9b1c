import { vi } from "vitest";

export function jsonResponse(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });
}

export interface RecordedGraphQLCall {
  operationName: string;
  query: string;
  variables: Record<string, unknown>;
  headers: Headers;
}

type GraphQLHandler = (variables: Record<string, unknown>) => Response | Promise<Response> | unknown;

/**
 * A stand-in for the network at the fetch boundary: /graphql requests are routed by operation name
 * to handlers (a handler returning a plain object answers `{"data": ...}` with HTTP 200).
 */
export function fakeBackend(handlers: Record<string, GraphQLHandler>, devToken?: (user: string) => Response) {
  const graphqlCalls: RecordedGraphQLCall[] = [];
  const fetchFn = vi.fn(async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const url = String(input);
    const body = JSON.parse(String(init?.body ?? "{}")) as Record<string, unknown>;
    if (url === "/__dev/token" && devToken) return devToken(String(body.user));
    if (url !== "/graphql") throw new TypeError(`unexpected request to ${url}`);
    const query = String(body.query);
    const operationName = /(?:query|mutation)\s+(\w+)/.exec(query)?.[1] ?? "";
    const variables = (body.variables ?? {}) as Record<string, unknown>;
    graphqlCalls.push({ operationName, query, variables, headers: new Headers(init?.headers) });
    const handler = handlers[operationName];
    if (!handler) throw new Error(`no fake handler for operation ${operationName}`);
    const result = await handler(variables);
    return result instanceof Response ? result : jsonResponse({ data: result });
  });
  return { fetchFn, graphqlCalls, operations: () => graphqlCalls.map((call) => call.operationName) };
}

/** A scriptable XMLHttpRequest: records what was sent; the test drives progress and the answer. */
export class FakeXhr {
  static instances: FakeXhr[] = [];

  method = "";
  url = "";
  requestHeaders: [string, string][] = [];
  body: unknown = undefined;
  status = 0;
  aborted = false;
  upload: { onprogress: ((event: ProgressEvent) => void) | null } = { onprogress: null };
  onload: (() => void) | null = null;
  onerror: (() => void) | null = null;
  onabort: (() => void) | null = null;

  constructor() {
    FakeXhr.instances.push(this);
  }

  static reset(): void {
    FakeXhr.instances = [];
  }

  static latest(): FakeXhr {
    const xhr = FakeXhr.instances.at(-1);
    if (!xhr) throw new Error("no XMLHttpRequest was created");
    return xhr;
  }

  open(method: string, url: string): void {
    this.method = method;
    this.url = url;
  }

  setRequestHeader(name: string, value: string): void {
    this.requestHeaders.push([name, value]);
  }

  send(body: unknown): void {
    this.body = body;
  }

  abort(): void {
    this.aborted = true;
    this.onabort?.();
  }

  emitProgress(loaded: number, total: number): void {
    this.upload.onprogress?.({ loaded, total, lengthComputable: true } as ProgressEvent);
  }

  respond(status: number): void {
    this.status = status;
    this.onload?.();
  }

  failNetwork(): void {
    this.onerror?.();
  }
}

export const asXhr = (xhr: FakeXhr) => xhr as unknown as XMLHttpRequest;
