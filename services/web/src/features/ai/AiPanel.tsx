import { useState, type FormEvent } from "react";
import { graphql, usePaginationFragment, useRelayEnvironment } from "react-relay";
import { commitMutationAsync, prependNode } from "../../api/mutation";
import { expectPayload } from "../../api/userError";
import { useErrorReporter } from "../../ui/errors";
import type { AiAnswer_aiRequest$key } from "./__generated__/AiAnswer_aiRequest.graphql";
import type { AiPanel_viewer$key } from "./__generated__/AiPanel_viewer.graphql";
import type { AiPanelAskMutation } from "./__generated__/AiPanelAskMutation.graphql";
import { AiAnswer } from "./AiAnswer";
import { AiRequestItem } from "./AiRequestItem";

export const AI_REQUESTS_PAGE_SIZE = 20;

// The answered request goes to the top of the history straight from the mutation's result.
const askAiMutation = graphql`
  mutation AiPanelAskMutation($prompt: String!) {
    askAi(input: { prompt: $prompt }) {
      __typename
      ... on AskAiPayload {
        aiRequest {
          id
          ...AiAnswer_aiRequest
          ...AiRequestItem_aiRequest
        }
      }
      ... on UserError {
        code
        message
        field
      }
    }
  }
`;

export function AiPanel({ viewer }: { viewer: AiPanel_viewer$key }) {
  const environment = useRelayEnvironment();
  const { report, clear } = useErrorReporter();
  // Later pages come from node(id: viewer) (Viewer implements Node in the api's schema).
  const { data, hasNext, isLoadingNext, loadNext } = usePaginationFragment(
    graphql`
      fragment AiPanel_viewer on Viewer
      @refetchable(queryName: "AiPanelPaginationQuery")
      @argumentDefinitions(count: { type: "Int", defaultValue: 20 }, cursor: { type: "String" }) {
        aiRequests(first: $count, after: $cursor) @connection(key: "AiPanel_aiRequests") {
          __id
          edges {
            node {
              id
              ...AiRequestItem_aiRequest
            }
          }
        }
      }
    `,
    viewer,
  );
  const [prompt, setPrompt] = useState("");
  const [asking, setAsking] = useState(false);
  const [latest, setLatest] = useState<AiAnswer_aiRequest$key | null>(null);

  const onSubmit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (!prompt.trim()) return;
    clear();
    setAsking(true);
    try {
      const response = await commitMutationAsync<AiPanelAskMutation>(
        environment,
        askAiMutation,
        { prompt },
        prependNode({
          rootField: "askAi",
          nodeField: "aiRequest",
          edgeType: "AiRequestEdge",
          connections: [data.aiRequests.__id],
        }),
      );
      setLatest(expectPayload(response.askAi, "AskAiPayload").aiRequest);
      setPrompt("");
    } catch (error) {
      report(error);
    } finally {
      setAsking(false);
    }
  };

  const loadMore = () => loadNext(AI_REQUESTS_PAGE_SIZE, { onComplete: (error) => error && report(error) });
  const edges = data.aiRequests.edges;
  return (
    <section className="panel" aria-labelledby="ai-heading">
      <h2 id="ai-heading">Ask the AI</h2>
      <form onSubmit={onSubmit} className="ask-form" data-testid="ai-form">
        <label htmlFor="ai-prompt">Prompt</label>
        <textarea
          id="ai-prompt"
          rows={4}
          value={prompt}
          onChange={(event) => setPrompt(event.target.value)}
          disabled={asking}
          data-testid="ai-prompt"
        />
        <button type="submit" disabled={asking || !prompt.trim()} data-testid="ai-ask">
          {asking ? "Asking…" : "Ask"}
        </button>
      </form>
      {latest && <AiAnswer aiRequest={latest} />}
      <h3>Earlier requests</h3>
      {edges.length === 0 ? (
        <p className="muted" data-testid="ai-requests-empty">
          No requests yet.
        </p>
      ) : (
        <ul className="item-list" aria-label="Earlier AI requests" data-testid="ai-requests-list">
          {edges.map(({ node }) => (
            <AiRequestItem key={node.id} aiRequest={node} />
          ))}
        </ul>
      )}
      {hasNext && (
        <button type="button" onClick={loadMore} disabled={isLoadingNext} data-testid="ai-requests-load-more">
          {isLoadingNext ? "Loading…" : "Load more"}
        </button>
      )}
    </section>
  );
}
