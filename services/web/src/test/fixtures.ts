import type { Connection } from "../api/types";
import type { AiRequest } from "../features/ai/api";
import type { Upload } from "../features/uploads/api";

export function anUpload(overrides: Partial<Upload> = {}): Upload {
  return {
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

export function anAiRequest(overrides: Partial<AiRequest> = {}): AiRequest {
  return {
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
  return {
    edges: nodes.map((node) => ({ cursor: `cursor-${node.id}`, node })),
    pageInfo: { hasNextPage, endCursor: endCursor ?? (nodes.length ? `cursor-${nodes.at(-1)!.id}` : null) },
  };
}

export const viewer = (field: "uploads" | "aiRequests", value: Connection<{ id: string }>) => ({
  viewer: { id: "user-1", [field]: value },
});
