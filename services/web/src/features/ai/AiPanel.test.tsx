import { screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import { anAiRequest, connection, viewer } from "../../test/fixtures";
import { renderWorkspace } from "../../test/renderWorkspace";

describe("AiPanel", () => {
  it("asks the AI, shows the answer with model and latency, and puts the request first in the list", async () => {
    const answered = anAiRequest({ id: "ai-9", prompt: "Why NAT?", answer: "Egress.", model: "gpt-x", latencyMs: 321 });
    const backend = renderWorkspace({
      WorkspaceQuery: () => viewer({ aiRequests: connection([anAiRequest()]) }),
      AiPanelAskMutation: () => ({ askAi: { __typename: "AskAiPayload", aiRequest: answered } }),
    });
    expect(await screen.findAllByTestId("ai-request-item")).toHaveLength(1);

    await userEvent.type(screen.getByTestId("ai-prompt"), "Why NAT?");
    await userEvent.click(screen.getByTestId("ai-ask"));

    const answer = await screen.findByTestId("ai-answer");
    expect(within(answer).getByTestId("ai-answer-text").textContent).toBe("Egress.");
    expect(within(answer).getByTestId("ai-answer-model").textContent).toBe("gpt-x");
    expect(within(answer).getByTestId("ai-answer-latency").textContent).toBe("321 ms");
    await vi.waitFor(() => expect(screen.getAllByTestId("ai-request-item")).toHaveLength(2));
    expect(screen.getAllByTestId("ai-request-item")[0]!.getAttribute("data-ai-request-id")).toBe("ai-9");
    expect(screen.getAllByTestId("ai-request-item")[0]!.textContent).toContain("Why NAT?");
    // The mutation's result updates the store: no second list query.
    expect(backend.operations()).toEqual(["WorkspaceQuery", "AiPanelAskMutation"]);
    expect(backend.graphqlCalls[1]!.variables).toEqual({ prompt: "Why NAT?" });
    expect((screen.getByTestId("ai-prompt") as HTMLTextAreaElement).value).toBe("");
  });

  it("pages through earlier requests with load more", async () => {
    const backend = renderWorkspace({
      WorkspaceQuery: () => viewer({ aiRequests: connection([anAiRequest({ id: "1" })], { hasNextPage: true }) }),
      AiPanelPaginationQuery: () => viewer({ aiRequests: connection([anAiRequest({ id: "2" })]) }),
    });
    await screen.findAllByTestId("ai-request-item");

    await userEvent.click(screen.getByTestId("ai-requests-load-more"));

    await vi.waitFor(() => expect(screen.getAllByTestId("ai-request-item")).toHaveLength(2));
    expect(screen.getAllByTestId("ai-request-item").map((item) => item.getAttribute("data-ai-request-id"))).toEqual([
      "1",
      "2",
    ]);
    expect(backend.graphqlCalls[1]!.variables).toEqual({ count: 20, cursor: "cursor-1" });
    expect(screen.queryByTestId("ai-requests-load-more")).toBeNull();
  });

  it("shows askAi's UserError in the error banner and keeps the prompt", async () => {
    renderWorkspace({
      WorkspaceQuery: () => viewer(),
      AiPanelAskMutation: () => ({
        askAi: { __typename: "UserError", code: "AI_UNAVAILABLE", message: "The AI service is busy.", field: null },
      }),
    });
    await screen.findByTestId("ai-requests-empty");

    await userEvent.type(screen.getByTestId("ai-prompt"), "hello");
    await userEvent.click(screen.getByTestId("ai-ask"));

    expect((await screen.findByTestId("error-banner")).textContent).toContain("The AI service is busy.");
    expect(screen.queryByTestId("ai-answer")).toBeNull();
    expect(screen.queryAllByTestId("ai-request-item")).toHaveLength(0);
    expect((screen.getByTestId("ai-prompt") as HTMLTextAreaElement).value).toBe("hello");
  });
});
