import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { buildSchema, graphql } from "graphql";
import { vi } from "vitest";
import persistedDocuments from "../../.relay/persisted-documents.json";

export function jsonResponse(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });
}

export interface RecordedGraphQLCall {
  operationName: string;
  documentId: string;
  /** The request body as sent: a persisted document id and variables, never the document itself. */
  body: Record<string, unknown>;
  variables: Record<string, unknown>;
  headers: Headers;
}

type GraphQLHandler = (variables: Record<string, unknown>) => Response | Promise<Response> | unknown;

// The api's committed schema, the one relay-compiler validates against (relay.config.json); vitest
// runs from services/web (package.json), and jsdom's URL has no file: scheme.
const schema = buildSchema(readFileSync(resolve("../api/schema.graphql"), "utf8"));
const documents: Record<string, string> = persistedDocuments;

/**
 * A stand-in for the api at the fetch boundary that serves /graphql as a trusted-documents server
 * does: it looks the `documentId` up in the compiler's manifest (.relay/persisted-documents.json),
 * and executes that document against the committed schema (graphql-js) over the root object the
 * handler for its operation returns; a handler's Response is sent as is.
 */
export function fakeBackend(handlers: Record<string, GraphQLHandler>, devToken?: (user: string) => Response) {
  const graphqlCalls: RecordedGraphQLCall[] = [];
  const fetchFn = vi.fn(async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const url = String(input);
    const body = JSON.parse(String(init?.body ?? "{}")) as Record<string, unknown>;
    if (url === "/__dev/token" && devToken) return devToken(String(body.user));
    if (url !== "/graphql") throw new TypeError(`unexpected request to ${url}`);
    const documentId = String(body.documentId);
    const document = documents[documentId];
    if (document === undefined) {
      const message = `documentId ${documentId} is not in .relay/persisted-documents.json`;
      return jsonResponse({ errors: [{ message, extensions: { code: "PERSISTED_QUERY_NOT_FOUND" } }] });
    }
    const operationName = /(?:query|mutation)\s+(\w+)/.exec(document)?.[1] ?? "";
    const variables = (body.variables ?? {}) as Record<string, unknown>;
    graphqlCalls.push({ operationName, documentId, body, variables, headers: new Headers(init?.headers) });
    const handler = handlers[operationName];
    if (!handler) throw new Error(`no fake handler for operation ${operationName}`);
    const result = await handler(variables);
    if (result instanceof Response) return result;
    const executed = await graphql({ schema, source: document, rootValue: result, variableValues: variables });
    return jsonResponse(executed);
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
