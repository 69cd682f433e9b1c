import { act, render, screen } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { jsonResponse } from "../test/fakes";
import { ErrorProvider } from "../ui/errors";
import { DevAuthProvider } from "./DevAuthProvider";
import { DevSession } from "./devSession";

afterEach(() => {
  vi.useRealTimers();
});

describe("DevAuthProvider", () => {
  it("refreshes the token on a timer before it expires, even while the app is idle", async () => {
    vi.useFakeTimers();
    let issued = 0;
    const fetchFn = vi.fn<typeof fetch>(async () => {
      issued += 1;
      return jsonResponse({ token: `t${issued}`, expires_at: Math.floor(Date.now() / 1000) + 600 });
    });
    const session = new DevSession({ storage: sessionStorage, fetchFn });
    await session.signIn("ada");

    render(
      <ErrorProvider>
        <DevAuthProvider session={session}>
          <p>signed in</p>
        </DevAuthProvider>
      </ErrorProvider>,
    );
    expect(screen.getByText("signed in")).toBeTruthy();

    await act(() => vi.advanceTimersByTimeAsync((600 - 61) * 1000));
    expect(fetchFn).toHaveBeenCalledTimes(1);

    await act(() => vi.advanceTimersByTimeAsync(2 * 1000));
    expect(fetchFn).toHaveBeenCalledTimes(2);
    expect(session.current?.token).toBe("t2");

    // The next refresh is scheduled from the new token's expiry.
    await act(() => vi.advanceTimersByTimeAsync(540 * 1000));
    expect(fetchFn).toHaveBeenCalledTimes(3);
    expect(screen.getByText("signed in")).toBeTruthy();
  });
});
