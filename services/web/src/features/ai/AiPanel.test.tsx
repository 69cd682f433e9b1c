import { render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import { createGraphQLClient } from "../../api/graphql";
import { fakeBackend } from "../../test/fakes";
import { anAiRequest, connection, viewer } from "../../test/fixtures";
import { ErrorBanner, ErrorProvider } from "../../ui/errors";
import { AiPanel } from "./AiPanel";

function renderPanel(handlers: Parameters<typeof fakeBackend>[0]) {
  const backend = fakeBackend(handlers);
  const client = createGraphQLClient({ getToken: async () => "tok", onUnauthorized: vi.fn(), fetchFn: backend.fetchFn });
  render(
    <ErrorProvider>
      <ErrorBanner />
      <AiPanel client={client} />
    </ErrorProvider>,
  );
  return backend;
}

describe("AiPanel", () => {
  it("asks the AI, shows the answer with model and latency, and lists the request", async () => {
    const answered = anAiRequest({ id: "ai-9", prompt: "Why NAT?", answer: "Egress.", model: "gpt-x", latencyMs: 321 });
    let history = [anAiRequest()];
    const backend = renderPanel({
      AiRequests: () => viewer("aiRequests", connection(history)),
      AskAi: () => {
        history = [answered, ...history];
        return { askAi: { __typename: "AskAiPayload", aiRequest: answered } };
      },
    });
    expect(await screen.findAllByTestId("ai-request-item")).toHaveLength(1);

    await userEvent.type(screen.getByTestId("ai-prompt"), "Why NAT?");
    await userEvent.click(screen.getByTestId("ai-ask"));

    const answer = await screen.findByTestId("ai-answer");
    expect(within(answer).getByTestId("ai-answer-text").textContent).toBe("Egress.");
    expect(within(answer).getByTestId("ai-answer-model").textContent).toBe("gpt-x");
    expect(within(answer).getByTestId("ai-answer-latency").textContent).toBe("321 ms");
    await vi.waitFor(() => expect(screen.getAllByTestId("ai-request-item")).toHaveLength(2));
    expect(screen.getAllByTestId("ai-request-item")[0]!.textContent).toContain("Why NAT?");
    expect(backend.graphqlCalls.find((call) => call.operationName === "AskAi")!.variables).toEqual({ prompt: "Why NAT?" });
    expect((screen.getByTestId("ai-prompt") as HTMLTextAreaElement).value).toBe("");
  });

  it("pages through earlier requests with load more", async () => {
    const backend = renderPanel({
      AiRequests: ({ after }) =>
        after === null
          ? viewer("aiRequests", connection([anAiRequest({ id: "1" })], { hasNextPage: true }))
          : viewer("aiRequests", connection([anAiRequest({ id: "2" })])),
    });
    await screen.findAllByTestId("ai-request-item");

    await userEvent.click(screen.getByTestId("ai-requests-load-more"));

    await vi.waitFor(() => expect(screen.getAllByTestId("ai-request-item")).toHaveLength(2));
    expect(backend.graphqlCalls[1]!.variables).toEqual({ first: 20, after: "cursor-1" });
    expect(screen.queryByTestId("ai-requests-load-more")).toBeNull();
  });

  it("shows askAi's UserError in the error banner and keeps the prompt", async () => {
    renderPanel({
      AiRequests: () => viewer("aiRequests", connection([])),
      AskAi: () => ({
        askAi: { __typename: "UserError", code: "AI_UNAVAILABLE", message: "The AI service is busy.", field: null },
      }),
    });
    await screen.findByTestId("ai-requests-empty");

    await userEvent.type(screen.getByTestId("ai-prompt"), "hello");
    await userEvent.click(screen.getByTestId("ai-ask"));

    expect((await screen.findByTestId("error-banner")).textContent).toContain("The AI service is busy.");
    expect(screen.queryByTestId("ai-answer")).toBeNull();
    expect((screen.getByTestId("ai-prompt") as HTMLTextAreaElement).value).toBe("hello");
  });
});
