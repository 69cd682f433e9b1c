import type { RequestParameters } from "relay-runtime";
import { describe, expect, it, vi } from "vitest";
import WorkspaceQuery from "../__generated__/WorkspaceQuery.graphql";
import persistedDocuments from "../../.relay/persisted-documents.json";
import { jsonResponse } from "../test/fakes";
import { createFetchFunction, GraphQLRequestError, NetworkError, UnauthorizedError } from "./network";

// The real compiled operation: its params carry the persisted id, and no text.
const params = WorkspaceQuery.params;

function setup(response: Response | Error, token: string | null = "tok-123") {
  const fetchFn = vi.fn<typeof fetch>(async () => {
    if (response instanceof Error) throw response;
    return response;
  });
  const onUnauthorized = vi.fn();
  const fetchGraphQL = createFetchFunction({ getToken: async () => token, onUnauthorized, fetchFn });
  const request = (variables: Record<string, unknown> = {}, operation: RequestParameters = params) =>
    Promise.resolve(fetchGraphQL(operation, variables, {}, null));
  return { request, fetchFn, onUnauthorized };
}

describe("createFetchFunction", () => {
  it("POSTs the persisted document id and the variables, with the bearer token, and returns data", async () => {
    const { request, fetchFn } = setup(jsonResponse({ data: { viewer: { id: "u1" } } }));

    const response = await request({ first: 2 });

    expect(response).toEqual({ data: { viewer: { id: "u1" } } });
    expect(fetchFn).toHaveBeenCalledTimes(1);
    const [url, init] = fetchFn.mock.calls[0]!;
    expect(url).toBe("/graphql");
    expect(init?.method).toBe("POST");
    const headers = new Headers(init?.headers);
    expect(headers.get("Authorization")).toBe("Bearer tok-123");
    expect(headers.get("Content-Type")).toBe("application/json");
    const body = JSON.parse(String(init?.body)) as Record<string, unknown>;
    expect(body).toEqual({ documentId: params.id, variables: { first: 2 } });
    // The id is the manifest's key for this operation's document: the server can look it up.
    expect(params.text).toBeNull();
    expect(params.id).toMatch(/^[0-9a-f]{64}$/);
    expect((persistedDocuments as Record<string, string>)[String(params.id)]).toMatch(/^query WorkspaceQuery\b/);
  });

  it("refuses an operation that was compiled without a persisted id, naming the fix", async () => {
    const { request, fetchFn } = setup(jsonResponse({ data: {} }));
    const unpersisted = { ...params, id: null, cacheID: "x", text: "query WorkspaceQuery { viewer { id } }" };

    await expect(request({}, unpersisted as RequestParameters)).rejects.toThrow(/WorkspaceQuery has no persisted document id.*npm run relay/);
    expect(fetchFn).not.toHaveBeenCalled();
  });

  it("treats HTTP 401 as a lost session: reports it and rejects with UnauthorizedError", async () => {
    const { request, onUnauthorized } = setup(jsonResponse({ errors: [{ message: "bad token" }] }, 401));

    await expect(request()).rejects.toBeInstanceOf(UnauthorizedError);
    expect(onUnauthorized).toHaveBeenCalledTimes(1);
  });

  it("treats an UNAUTHENTICATED GraphQL error as a lost session too", async () => {
    const { request, onUnauthorized } = setup(
      jsonResponse({ data: null, errors: [{ message: "no", extensions: { code: "UNAUTHENTICATED" } }] }),
    );

    await expect(request()).rejects.toBeInstanceOf(UnauthorizedError);
    expect(onUnauthorized).toHaveBeenCalledTimes(1);
  });

  it("does not call the server at all without a token", async () => {
    const { request, fetchFn, onUnauthorized } = setup(jsonResponse({ data: {} }), null);

    await expect(request()).rejects.toBeInstanceOf(UnauthorizedError);
    expect(fetchFn).not.toHaveBeenCalled();
    expect(onUnauthorized).toHaveBeenCalledTimes(1);
  });

  it("rejects with the GraphQL error messages when the response carries errors", async () => {
    const { request, onUnauthorized } = setup(
      jsonResponse({
        data: null,
        errors: [{ message: "Unknown document", extensions: { code: "PERSISTED_QUERY_NOT_FOUND" } }, { message: "second" }],
      }),
    );

    const error = await request().catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(GraphQLRequestError);
    expect((error as GraphQLRequestError).message).toBe("Unknown document; second");
    expect((error as GraphQLRequestError).errors).toHaveLength(2);
    expect(onUnauthorized).not.toHaveBeenCalled();
  });

  it("rejects with the HTTP status when the server fails without a GraphQL body", async () => {
    const { request } = setup(new Response("<html>Bad Gateway</html>", { status: 502 }));

    const error = await request().catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(GraphQLRequestError);
    expect((error as GraphQLRequestError).status).toBe(502);
    expect((error as Error).message).toContain("502");
  });

  it("turns a failed fetch into a NetworkError with a readable message", async () => {
    const { request } = setup(new TypeError("Failed to fetch"));

    const error = await request().catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(NetworkError);
    expect((error as Error).message).toMatch(/could not reach the server/i);
  });
});
