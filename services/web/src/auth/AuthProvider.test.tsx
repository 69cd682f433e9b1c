import { render, screen } from "@testing-library/react";
import { describe, expect, it, vi } from "vitest";
import { App } from "../App";

// A syntactically valid test key ("pk_test_" + base64 of a Frontend API host + "$").
const CLERK_KEY = `pk_test_${btoa("example.clerk.accounts.dev$")}`;

describe("AuthProvider", () => {
  it("uses Clerk, loaded lazily, instead of the dev sign-in when a publishable key is configured", async () => {
    const fetchFn = vi.fn(async () => new Response(null, { status: 500 }));
    vi.stubGlobal("fetch", fetchFn);

    render(<App clerkPublishableKey={CLERK_KEY} />);

    // Clerk's own script is never fetched in jsdom, so it stays loading: no dev form, no app, no calls.
    expect(await screen.findByText("Loading…")).toBeTruthy();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(screen.queryByTestId("sign-in-form")).toBeNull();
    expect(screen.queryByTestId("sign-out")).toBeNull();
    expect(fetchFn).not.toHaveBeenCalled();
  });
});
