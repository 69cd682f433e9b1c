import { beforeEach, describe, expect, it, vi } from "vitest";
import { NetworkError } from "../api/network";
import { jsonResponse } from "../test/fakes";
import { DEV_SESSION_STORAGE_KEY, DevSession, DevSignInError } from "./devSession";

const T0 = 1_700_000_000;

function setup({ ttl = 900, respond }: { ttl?: number; respond?: (user: string, n: number) => Response } = {}) {
  let now = T0;
  let issued = 0;
  const fetchFn = vi.fn<typeof fetch>(async (_url, init) => {
    const { user } = JSON.parse(String(init?.body)) as { user: string };
    issued += 1;
    return respond ? respond(user, issued) : jsonResponse({ token: `${user}-token-${issued}`, expires_at: now + ttl });
  });
  const make = () => new DevSession({ storage: sessionStorage, fetchFn, now: () => now });
  return {
    fetchFn,
    make,
    session: make(),
    advance: (seconds: number) => {
      now += seconds;
    },
  };
}

beforeEach(() => sessionStorage.clear());

describe("DevSession", () => {
  it("signs in by POSTing the user name to /__dev/token and keeps the token in sessionStorage", async () => {
    const { session, fetchFn } = setup();

    await session.signIn("  ada ");

    const [url, init] = fetchFn.mock.calls[0]!;
    expect(url).toBe("/__dev/token");
    expect(init?.method).toBe("POST");
    expect(new Headers(init?.headers).get("Content-Type")).toBe("application/json");
    expect(JSON.parse(String(init?.body))).toEqual({ user: "ada" });
    expect(JSON.parse(sessionStorage.getItem(DEV_SESSION_STORAGE_KEY)!)).toMatchObject({
      user: "ada",
      token: "ada-token-1",
      expiresAt: T0 + 900,
    });
    expect(session.current?.user).toBe("ada");
  });

  it("restores the session from sessionStorage after a page reload", async () => {
    const { session, make, fetchFn } = setup();
    await session.signIn("ada");

    const reloaded = make();

    expect(reloaded.current?.user).toBe("ada");
    expect(await reloaded.getToken()).toBe("ada-token-1");
    expect(fetchFn).toHaveBeenCalledTimes(1);
  });

  it("reuses the token while it is fresh and fetches a new one shortly before expiry", async () => {
    const { session, fetchFn, advance } = setup({ ttl: 900 });
    await session.signIn("ada");

    advance(900 - 61);
    expect(await session.getToken()).toBe("ada-token-1");
    expect(fetchFn).toHaveBeenCalledTimes(1);

    advance(2); // now inside the 60 s refresh margin
    expect(await session.getToken()).toBe("ada-token-2");
    expect(fetchFn).toHaveBeenCalledTimes(2);
    expect(JSON.parse(String(fetchFn.mock.calls[1]![1]?.body))).toEqual({ user: "ada" });
    expect(JSON.parse(sessionStorage.getItem(DEV_SESSION_STORAGE_KEY)!).token).toBe("ada-token-2");
    expect(session.secondsUntilRefresh()).toBe(900 - 60);
  });

  it("refreshes short-lived tokens at half their lifetime", async () => {
    const { session, fetchFn, advance } = setup({ ttl: 30 });
    await session.signIn("ada");

    advance(14);
    expect(await session.getToken()).toBe("ada-token-1");
    advance(1);
    expect(await session.getToken()).toBe("ada-token-2");
    expect(fetchFn).toHaveBeenCalledTimes(2);
  });

  it("shares one refresh request between concurrent callers", async () => {
    const { session, fetchFn, advance } = setup();
    await session.signIn("ada");
    advance(900);

    const tokens = await Promise.all([session.getToken(), session.getToken(), session.getToken()]);

    expect(tokens).toEqual(["ada-token-2", "ada-token-2", "ada-token-2"]);
    expect(fetchFn).toHaveBeenCalledTimes(2);
  });

  it("signs out when the twin refuses to refresh the token", async () => {
    const { session, advance } = setup({
      respond: (user, n) =>
        n === 1 ? jsonResponse({ token: `${user}-1`, expires_at: T0 + 900 }) : jsonResponse({ error: "no" }, 403),
    });
    await session.signIn("ada");
    const listener = vi.fn();
    session.subscribe(listener);
    advance(880);

    expect(await session.getToken()).toBeNull();
    expect(session.current).toBeNull();
    expect(sessionStorage.getItem(DEV_SESSION_STORAGE_KEY)).toBeNull();
    expect(listener).toHaveBeenCalled();
  });

  it("keeps the still-valid token through a network failure during refresh, not after expiry", async () => {
    const { session, fetchFn, advance } = setup();
    await session.signIn("ada");
    fetchFn.mockRejectedValue(new TypeError("Failed to fetch"));

    advance(880);
    expect(await session.getToken()).toBe("ada-token-1");

    advance(30);
    await expect(session.getToken()).rejects.toBeInstanceOf(NetworkError);
  });

  it("reports the server's reason when sign-in is refused, and stores nothing", async () => {
    const { session } = setup({ respond: () => jsonResponse({ error: "user name not allowed" }, 400) });

    const error = await session.signIn("bad").catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(DevSignInError);
    expect((error as Error).message).toBe("user name not allowed");
    expect(session.current).toBeNull();
    expect(sessionStorage.getItem(DEV_SESSION_STORAGE_KEY)).toBeNull();
  });

  it("rejects a response without a token", async () => {
    const { session } = setup({ respond: () => jsonResponse({ expires_at: T0 + 60 }) });

    await expect(session.signIn("ada")).rejects.toThrow(/no token/);
  });

  it("forgets the token on sign-out", async () => {
    const { session } = setup();
    await session.signIn("ada");

    session.signOut();

    expect(session.current).toBeNull();
    expect(await session.getToken()).toBeNull();
    expect(sessionStorage.getItem(DEV_SESSION_STORAGE_KEY)).toBeNull();
  });
});
