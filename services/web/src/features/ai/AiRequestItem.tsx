import { graphql, useFragment } from "react-relay";
import { formatDateTime, toIsoOrRaw } from "../../ui/format";
import type { AiRequestItem_aiRequest$key } from "./__generated__/AiRequestItem_aiRequest.graphql";

export function AiRequestItem({ aiRequest: ref }: { aiRequest: AiRequestItem_aiRequest$key }) {
  const request = useFragment(
    graphql`
      fragment AiRequestItem_aiRequest on AiRequest {
        id
        prompt
        answer
        model
        latencyMs
        createdAt
      }
    `,
    ref,
  );
  return (
    <li data-testid="ai-request-item" data-ai-request-id={request.id}>
      <p className="item-title">{request.prompt}</p>
      <p>{request.answer}</p>
      <p className="muted">
        {request.model} · {request.latencyMs} ms ·{" "}
        <time dateTime={toIsoOrRaw(request.createdAt)}>{formatDateTime(request.createdAt)}</time>
      </p>
    </li>
  );
}
