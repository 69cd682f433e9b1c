import type { GraphQLClient } from "../../api/graphql";
import { PAGE_INFO_FIELDS, USER_ERROR_FIELDS, UserFacingError, type Connection, type UserError } from "../../api/types";

export interface AiRequest {
  id: string;
  prompt: string;
  answer: string;
  model: string;
  latencyMs: number;
  createdAt: string;
}

export const AI_REQUESTS_PAGE_SIZE = 20;

const AI_REQUEST_FIELDS = `
  id
  prompt
  answer
  model
  latencyMs
  createdAt
`;

export const AI_REQUESTS_QUERY = `
  query AiRequests($first: Int!, $after: String) {
    viewer {
      id
      aiRequests(first: $first, after: $after) {
        edges { cursor node { ${AI_REQUEST_FIELDS} } }
        ${PAGE_INFO_FIELDS}
      }
    }
  }
`;

export const ASK_AI_MUTATION = `
  mutation AskAi($prompt: String!) {
    askAi(input: { prompt: $prompt }) {
      __typename
      ... on AskAiPayload {
        aiRequest { ${AI_REQUEST_FIELDS} }
      }
      ${USER_ERROR_FIELDS}
    }
  }
`;

type AskAiResult = { __typename: "AskAiPayload"; aiRequest: AiRequest } | UserError;

export async function fetchAiRequests(client: GraphQLClient, after: string | null): Promise<Connection<AiRequest>> {
  const data = await client<{ viewer: { aiRequests: Connection<AiRequest> } }>(AI_REQUESTS_QUERY, {
    first: AI_REQUESTS_PAGE_SIZE,
    after,
  });
  return data.viewer.aiRequests;
}

export async function askAi(client: GraphQLClient, prompt: string): Promise<AiRequest> {
  const { askAi: result } = await client<{ askAi: AskAiResult }>(ASK_AI_MUTATION, { prompt });
  if (result.__typename === "UserError") throw new UserFacingError(result);
  return result.aiRequest;
}
