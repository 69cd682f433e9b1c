import { useCallback, useEffect, useMemo, useState, useSyncExternalStore, type FormEvent, type ReactNode } from "react";
import { UnauthorizedError } from "../api/network";
import { useErrorReporter } from "../ui/errors";
import { AuthContext } from "./context";
import { DevSession } from "./devSession";
import type { Auth } from "./types";

const MAX_TIMER_DELAY_MS = 2 ** 31 - 1;

export function DevAuthProvider({ children, session: given }: { children: ReactNode; session?: DevSession }) {
  const session = useMemo(() => given ?? new DevSession(), [given]);
  const record = useSyncExternalStore(session.subscribe, () => session.current);
  const { report } = useErrorReporter();
  const [tick, setTick] = useState(0);

  useEffect(() => {
    const seconds = session.secondsUntilRefresh();
    if (seconds === null) return;
    // Browsers fire longer delays than 2^31-1 ms at once, which would refresh in a tight loop.
    const clamped = seconds * 1000 > MAX_TIMER_DELAY_MS;
    const timer = setTimeout(
      () => {
        if (clamped) setTick((tick) => tick + 1);
        else session.refresh().catch(() => undefined);
      },
      clamped ? MAX_TIMER_DELAY_MS : seconds * 1000,
    );
    return () => clearTimeout(timer);
  }, [session, record, tick]);

  // Stable callbacks: a token refresh must not rebuild the GraphQL client and refetch the lists.
  const getToken = useCallback(() => session.getToken(), [session]);
  const signOut = useCallback(async () => session.signOut(), [session]);
  const handleUnauthorized = useCallback(() => {
    session.signOut();
    report(new UnauthorizedError());
  }, [session, report]);
  const userLabel = record?.user ?? null;

  const auth = useMemo<Auth>(
    () => ({
      state: userLabel !== null ? { status: "signedIn", userLabel } : { status: "signedOut" },
      getToken,
      signOut,
      handleUnauthorized,
    }),
    [userLabel, getToken, signOut, handleUnauthorized],
  );

  return (
    <AuthContext.Provider value={auth}>{record ? children : <DevSignInPage session={session} />}</AuthContext.Provider>
  );
}

function DevSignInPage({ session }: { session: DevSession }) {
  const [user, setUser] = useState("");
  const [busy, setBusy] = useState(false);
  const { report, clear } = useErrorReporter();

  const onSubmit = useCallback(
    async (event: FormEvent<HTMLFormElement>) => {
      event.preventDefault();
      setBusy(true);
      clear();
      try {
        await session.signIn(user);
      } catch (error) {
        report(error);
        setBusy(false);
      }
    },
    [session, user, report, clear],
  );

  return (
    <main className="sign-in">
      <h1>Sign in to Foundry</h1>
      <p className="muted">Local development sign-in: any user name works.</p>
      <form onSubmit={onSubmit} data-testid="sign-in-form" aria-label="Sign in">
        <label htmlFor="sign-in-user">User name</label>
        <input
          id="sign-in-user"
          name="user"
          autoComplete="username"
          required
          value={user}
          onChange={(event) => setUser(event.target.value)}
          data-testid="sign-in-user"
        />
        <button type="submit" disabled={busy || !user.trim()} data-testid="sign-in-submit">
          {busy ? "Signing in…" : "Sign in"}
        </button>
      </form>
    </main>
  );
}
