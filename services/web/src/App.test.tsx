import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import { App } from "./App";
import { DEV_SESSION_STORAGE_KEY } from "./auth/devSession";
import { fakeBackend, jsonResponse } from "./test/fakes";
import { anUpload, connection, viewer } from "./test/fixtures";

function startApp(options: { uploadsStatus?: () => number } = {}) {
  const backend = fakeBackend(
    {
      WorkspaceQuery: () =>
        (options.uploadsStatus?.() ?? 200) === 401
          ? jsonResponse({ errors: [{ message: "expired" }] }, 401)
          : viewer({ uploads: connection([anUpload()]) }),
    },
    (user) => jsonResponse({ token: `token-for-${user}`, expires_at: Math.floor(Date.now() / 1000) + 900 }),
  );
  vi.stubGlobal("fetch", backend.fetchFn);
  render(<App clerkPublishableKey="" />);
  return backend;
}

async function signIn(user: string) {
  await userEvent.type(screen.getByTestId("sign-in-user"), user);
  await userEvent.click(screen.getByTestId("sign-in-submit"));
}

describe("App with the dev sign-in", () => {
  it("signs in, loads my data with the bearer token, and signs out again", async () => {
    const backend = startApp();
    expect(screen.getByTestId("sign-in-form")).toBeTruthy();
    expect(screen.queryByTestId("sign-out")).toBeNull();

    await signIn("ada");

    expect((await screen.findByTestId("signed-in-user")).textContent).toBe("ada");
    expect(await screen.findByTestId("upload-item")).toBeTruthy();
    expect(backend.graphqlCalls.length).toBeGreaterThan(0);
    for (const call of backend.graphqlCalls) expect(call.headers.get("Authorization")).toBe("Bearer token-for-ada");

    await userEvent.click(screen.getByTestId("sign-out"));

    expect(screen.getByTestId("sign-in-form")).toBeTruthy();
    expect(sessionStorage.getItem(DEV_SESSION_STORAGE_KEY)).toBeNull();
  });

  it("returns to the sign-in page with an explanation when /graphql answers 401", async () => {
    startApp({ uploadsStatus: () => 401 });

    await signIn("ada");

    expect((await screen.findByTestId("error-banner")).textContent).toMatch(/sign in again/i);
    expect(screen.getByTestId("sign-in-form")).toBeTruthy();
    expect(screen.queryByTestId("sign-out")).toBeNull();
    expect(sessionStorage.getItem(DEV_SESSION_STORAGE_KEY)).toBeNull();
  });

  it("shows why sign-in failed", async () => {
    vi.stubGlobal(
      "fetch",
      vi.fn(async () => jsonResponse({ error: "dev sign-in is disabled" }, 404)),
    );
    render(<App clerkPublishableKey="" />);

    await signIn("ada");

    expect((await screen.findByTestId("error-banner")).textContent).toContain("dev sign-in is disabled");
    expect(screen.getByTestId("sign-in-form")).toBeTruthy();
  });
});
