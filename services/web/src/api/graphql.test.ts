import { describe, expect, it, vi } from "vitest";
import { jsonResponse } from "../test/fakes";
import { createGraphQLClient, GraphQLRequestError, NetworkError, UnauthorizedError } from "./graphql";

function setup(response: Response | Error, token: string | null = "tok-123") {
  const fetchFn = vi.fn<typeof fetch>(async () => {
    if (response instanceof Error) throw response;
    return response;
  });
  const onUnauthorized = vi.fn();
  const client = createGraphQLClient({ getToken: async () => token, onUnauthorized, fetchFn });
  return { client, fetchFn, onUnauthorized };
}

describe("createGraphQLClient", () => {
  it("POSTs the query and variables as JSON to /graphql with the bearer token and returns data", async () => {
    const { client, fetchFn } = setup(jsonResponse({ data: { viewer: { id: "u1" } } }));

    const data = await client<{ viewer: { id: string } }>("query Viewer { viewer { id } }", { first: 2 });

    expect(data).toEqual({ viewer: { id: "u1" } });
    expect(fetchFn).toHaveBeenCalledTimes(1);
    const [url, init] = fetchFn.mock.calls[0]!;
    expect(url).toBe("/graphql");
    expect(init?.method).toBe("POST");
    const headers = new Headers(init?.headers);
    expect(headers.get("Authorization")).toBe("Bearer tok-123");
    expect(headers.get("Content-Type")).toBe("application/json");
    expect(JSON.parse(String(init?.body))).toEqual({ query: "query Viewer { viewer { id } }", variables: { first: 2 } });
  });

  it("treats HTTP 401 as a lost session: reports it and rejects with UnauthorizedError", async () => {
    const { client, onUnauthorized } = setup(jsonResponse({ errors: [{ message: "bad token" }] }, 401));

    await expect(client("{ viewer { id } }")).rejects.toBeInstanceOf(UnauthorizedError);
    expect(onUnauthorized).toHaveBeenCalledTimes(1);
  });

  it("treats an UNAUTHENTICATED GraphQL error as a lost session too", async () => {
    const { client, onUnauthorized } = setup(
      jsonResponse({ data: null, errors: [{ message: "no", extensions: { code: "UNAUTHENTICATED" } }] }),
    );

    await expect(client("{ viewer { id } }")).rejects.toBeInstanceOf(UnauthorizedError);
    expect(onUnauthorized).toHaveBeenCalledTimes(1);
  });

  it("does not call the server at all without a token", async () => {
    const { client, fetchFn, onUnauthorized } = setup(jsonResponse({ data: {} }), null);

    await expect(client("{ viewer { id } }")).rejects.toBeInstanceOf(UnauthorizedError);
    expect(fetchFn).not.toHaveBeenCalled();
    expect(onUnauthorized).toHaveBeenCalledTimes(1);
  });

  it("rejects with the GraphQL error messages when the response carries errors", async () => {
    const { client, onUnauthorized } = setup(
      jsonResponse({ data: null, errors: [{ message: "Cannot query field 'x'" }, { message: "second" }] }),
    );

    const error = await client("{ x }").catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(GraphQLRequestError);
    expect((error as GraphQLRequestError).message).toBe("Cannot query field 'x'; second");
    expect((error as GraphQLRequestError).errors).toHaveLength(2);
    expect(onUnauthorized).not.toHaveBeenCalled();
  });

  it("rejects with the HTTP status when the server fails without a GraphQL body", async () => {
    const { client } = setup(new Response("<html>Bad Gateway</html>", { status: 502 }));

    const error = await client("{ viewer { id } }").catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(GraphQLRequestError);
    expect((error as GraphQLRequestError).status).toBe(502);
    expect((error as Error).message).toContain("502");
  });

  it("turns a failed fetch into a NetworkError with a readable message", async () => {
    const { client } = setup(new TypeError("Failed to fetch"));

    const error = await client("{ viewer { id } }").catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(NetworkError);
    expect((error as Error).message).toMatch(/could not reach the server/i);
  });
});
