import { graphql, useFragment } from "react-relay";
import type { AiAnswer_aiRequest$key } from "./__generated__/AiAnswer_aiRequest.graphql";

/** The latest answer, read from the askAi mutation's result. */
export function AiAnswer({ aiRequest: ref }: { aiRequest: AiAnswer_aiRequest$key }) {
  const answer = useFragment(
    graphql`
      fragment AiAnswer_aiRequest on AiRequest {
        answer
        model
        latencyMs
      }
    `,
    ref,
  );
  return (
    <article className="answer" aria-live="polite" aria-label="Answer" data-testid="ai-answer">
      <p data-testid="ai-answer-text">{answer.answer}</p>
      <p className="muted">
        <span data-testid="ai-answer-model">{answer.model}</span> ·{" "}
        <span data-testid="ai-answer-latency">{answer.latencyMs} ms</span>
      </p>
    </article>
  );
}
