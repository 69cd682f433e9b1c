import { useCallback, useState, type FormEvent } from "react";
import type { GraphQLClient } from "../../api/graphql";
import { usePaginatedList } from "../../api/usePaginatedList";
import { useErrorReporter } from "../../ui/errors";
import { formatDateTime, toIsoOrRaw } from "../../ui/format";
import { askAi, fetchAiRequests, type AiRequest } from "./api";

export function AiPanel({ client }: { client: GraphQLClient }) {
  const { report, clear } = useErrorReporter();
  const loadPage = useCallback((after: string | null) => fetchAiRequests(client, after), [client]);
  const history = usePaginatedList(loadPage, report);
  const [prompt, setPrompt] = useState("");
  const [asking, setAsking] = useState(false);
  const [latest, setLatest] = useState<AiRequest | null>(null);

  const onSubmit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (!prompt.trim()) return;
    clear();
    setAsking(true);
    try {
      setLatest(await askAi(client, prompt));
      setPrompt("");
      await history.reload();
    } catch (error) {
      report(error);
    } finally {
      setAsking(false);
    }
  };

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
      {latest && (
        <article className="answer" aria-live="polite" aria-label="Answer" data-testid="ai-answer">
          <p data-testid="ai-answer-text">{latest.answer}</p>
          <p className="muted">
            <span data-testid="ai-answer-model">{latest.model}</span> ·{" "}
            <span data-testid="ai-answer-latency">{latest.latencyMs} ms</span>
          </p>
        </article>
      )}
      <h3>Earlier requests</h3>
      {history.items.length === 0 ? (
        <p className="muted" data-testid="ai-requests-empty">
          No requests yet.
        </p>
      ) : (
        <ul className="item-list" aria-label="Earlier AI requests" data-testid="ai-requests-list">
          {history.items.map((request) => (
            <li key={request.id} data-testid="ai-request-item" data-ai-request-id={request.id}>
              <p className="item-title">{request.prompt}</p>
              <p>{request.answer}</p>
              <p className="muted">
                {request.model} · {request.latencyMs} ms ·{" "}
                <time dateTime={toIsoOrRaw(request.createdAt)}>{formatDateTime(request.createdAt)}</time>
              </p>
            </li>
          ))}
        </ul>
      )}
      {history.hasNextPage && (
        <button
          type="button"
          onClick={() => void history.loadMore()}
          disabled={history.loading}
          data-testid="ai-requests-load-more"
        >
          {history.loading ? "Loading…" : "Load more"}
        </button>
      )}
    </section>
  );
}
