// Objects as the api's resolvers return them: the fake backend (fakes.ts) executes the real
// persisted documents over them, so a test gets exactly the fields an operation selects.

export interface UploadNode {
  __typename: "Upload";
  id: string;
  filename: string;
  contentType: string;
  size: number;
  status: "PENDING" | "UPLOADED";
  createdAt: string;
  downloadUrl: string | null;
}

export interface AiRequestNode {
  __typename: "AiRequest";
  id: string;
  prompt: string;
  answer: string;
  model: string;
  latencyMs: number;
  createdAt: string;
}

export interface Connection<TNode> {
  edges: { cursor: string; node: TNode }[];
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
}

export function anUpload(overrides: Partial<UploadNode> = {}): UploadNode {
  return {
    __typename: "Upload",
    id: "up-1",
    filename: "report.pdf",
    contentType: "application/pdf",
    size: 2048,
    status: "UPLOADED",
    createdAt: "2026-11-27T10:00:00Z",
    downloadUrl: "https://downloads.example.test/up-1",
    ...overrides,
  };
}

export function anAiRequest(overrides: Partial<AiRequestNode> = {}): AiRequestNode {
  return {
    __typename: "AiRequest",
    id: "ai-1",
    prompt: "What is S3?",
    answer: "Object storage.",
    model: "echo-1",
    latencyMs: 42,
    createdAt: "2026-11-27T10:00:00Z",
    ...overrides,
  };
}

export function connection<T extends { id: string }>(
  nodes: T[],
  { hasNextPage = false, endCursor }: { hasNextPage?: boolean; endCursor?: string } = {},
): Connection<T> {
  const edges = nodes.map((node) => ({ cursor: `cursor-${node.id}`, node }));
  return {
    edges,
    pageInfo: {
      hasNextPage,
      hasPreviousPage: false,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: endCursor ?? edges.at(-1)?.cursor ?? null,
    },
  };
}

/** The signed-in user with both lists (either can be left empty). */
export function viewer({
  uploads = connection<UploadNode>([]),
  aiRequests = connection<AiRequestNode>([]),
}: { uploads?: Connection<UploadNode>; aiRequests?: Connection<AiRequestNode> } = {}) {
  return { viewer: { __typename: "Viewer", id: "Vmlld2VyOnVzZXItMQ==", uploads, aiRequests } };
}
