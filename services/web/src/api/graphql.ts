export const GRAPHQL_ENDPOINT = "/graphql";

/** The session is missing or was rejected (HTTP 401): the user must sign in again. */
export class UnauthorizedError extends Error {
  constructor(message = "Your session has ended. Please sign in again.") {
    super(message);
    this.name = "UnauthorizedError";
  }
}

/** The request never got an HTTP answer (offline, DNS, CORS, connection reset). */
export class NetworkError extends Error {
  constructor(message = "Could not reach the server. Check your connection and try again.") {
    super(message);
    this.name = "NetworkError";
  }
}

/** The server answered, but with an HTTP error or GraphQL `errors`. */
export class GraphQLRequestError extends Error {
  readonly status: number;
  readonly errors: readonly GraphQLErrorEntry[];

  constructor(message: string, status: number, errors: readonly GraphQLErrorEntry[] = []) {
    super(message);
    this.name = "GraphQLRequestError";
    this.status = status;
    this.errors = errors;
  }
}

export interface GraphQLErrorEntry {
  message: string;
  path?: readonly (string | number)[];
  extensions?: { code?: string; [key: string]: unknown };
}

interface GraphQLResponse<TData> {
  data?: TData | null;
  errors?: GraphQLErrorEntry[];
}

export type Variables = Record<string, unknown>;

export type GraphQLClient = <TData, TVariables extends Variables = Variables>(
  query: string,
  variables?: TVariables,
) => Promise<TData>;

export interface GraphQLClientOptions {
  /** Current bearer token, or null when signed out. */
  getToken: () => Promise<string | null>;
  /** Called once per rejected request so the app can return to the sign-in page. */
  onUnauthorized: () => void;
  fetchFn?: typeof fetch;
  endpoint?: string;
}

const UNAUTHENTICATED_CODES = new Set(["UNAUTHENTICATED", "UNAUTHORIZED"]);

export function createGraphQLClient({
  getToken,
  onUnauthorized,
  fetchFn = (...args) => globalThis.fetch(...args),
  endpoint = GRAPHQL_ENDPOINT,
}: GraphQLClientOptions): GraphQLClient {
  const unauthorized = (): never => {
    onUnauthorized();
    throw new UnauthorizedError();
  };

  return async function request<TData, TVariables extends Variables = Variables>(
    query: string,
    variables?: TVariables,
  ): Promise<TData> {
    const token = await getToken();
    if (!token) return unauthorized();

    let response: Response;
    try {
      response = await fetchFn(endpoint, {
        method: "POST",
        headers: {
          Accept: "application/graphql-response+json, application/json",
          "Content-Type": "application/json",
          Authorization: `Bearer ${token}`,
        },
        body: JSON.stringify({ query, variables: variables ?? {} }),
      });
    } catch {
      throw new NetworkError();
    }

    if (response.status === 401) return unauthorized();

    const body = await readJson<GraphQLResponse<TData>>(response);
    const errors = body?.errors ?? [];
    if (errors.some((error) => UNAUTHENTICATED_CODES.has(String(error.extensions?.code)))) {
      return unauthorized();
    }
    if (errors.length > 0) {
      throw new GraphQLRequestError(errors.map((error) => error.message).join("; "), response.status, errors);
    }
    if (!response.ok) {
      throw new GraphQLRequestError(`The server answered HTTP ${response.status}.`, response.status);
    }
    if (body?.data == null) {
      throw new GraphQLRequestError("The server answered without data.", response.status);
    }
    return body.data;
  };
}

async function readJson<T>(response: Response): Promise<T | null> {
  try {
    return (await response.json()) as T;
  } catch {
    return null;
  }
}
