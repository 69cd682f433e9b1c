import type { FetchFunction, GraphQLResponse, RequestParameters, Variables } from "relay-runtime";

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

interface ResponseBody {
  data?: Record<string, unknown> | null;
  errors?: GraphQLErrorEntry[];
}

/**
 * What the browser POSTs: the id of a document the compiler persisted (relay.config.json's
 * persistConfig), never its text. `documentId` is the GraphQL-over-HTTP persisted-documents request
 * parameter (https://github.com/graphql/graphql-over-http/blob/main/rfcs/PersistedOperations.md); the id
 * is the manifest's key as the compiler wrote it (SHA-256 hex, a "custom document identifier").
 */
export interface PersistedDocumentRequest {
  documentId: string;
  variables: Variables;
}

export interface NetworkOptions {
  /** Current bearer token, or null when signed out. */
  getToken: () => Promise<string | null>;
  /** Called once per rejected request so the app can return to the sign-in page. */
  onUnauthorized: () => void;
  fetchFn?: typeof fetch;
  endpoint?: string;
}

const UNAUTHENTICATED_CODES = new Set(["UNAUTHENTICATED", "UNAUTHORIZED"]);

/** The body for an operation; an operation without a persisted id means the compiler was not run. */
export function persistedDocumentRequest(params: RequestParameters, variables: Variables): PersistedDocumentRequest {
  if (!params.id) {
    throw new Error(
      `${params.name} has no persisted document id: its artifact was not compiled with persistConfig (run npm run relay).`,
    );
  }
  return { documentId: params.id, variables };
}

/** Relay's network fetch: the bearer token, a persisted document id, and today's error and 401 handling. */
export function createFetchFunction({
  getToken,
  onUnauthorized,
  fetchFn = (...args) => globalThis.fetch(...args),
  endpoint = GRAPHQL_ENDPOINT,
}: NetworkOptions): FetchFunction {
  const unauthorized = (): never => {
    onUnauthorized();
    throw new UnauthorizedError();
  };

  return async (params, variables): Promise<GraphQLResponse> => {
    const body = JSON.stringify(persistedDocumentRequest(params, variables));
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
        body,
      });
    } catch {
      throw new NetworkError();
    }

    if (response.status === 401) return unauthorized();

    const payload = await readJson<ResponseBody>(response);
    const errors = payload?.errors ?? [];
    if (errors.some((error) => UNAUTHENTICATED_CODES.has(String(error.extensions?.code)))) {
      return unauthorized();
    }
    if (errors.length > 0) {
      throw new GraphQLRequestError(errors.map((error) => error.message).join("; "), response.status, errors);
    }
    if (!response.ok) {
      throw new GraphQLRequestError(`The server answered HTTP ${response.status}.`, response.status);
    }
    if (payload?.data == null) {
      throw new GraphQLRequestError("The server answered without data.", response.status);
    }
    return { data: payload.data };
  };
}

async function readJson<T>(response: Response): Promise<T | null> {
  try {
    return (await response.json()) as T;
  } catch {
    return null;
  }
}
