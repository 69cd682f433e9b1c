import { ClerkProvider, SignIn, useAuth as useClerkAuth, useUser } from "@clerk/clerk-react";
import { useCallback, useMemo, useRef, type ReactNode } from "react";
import { UnauthorizedError } from "../api/network";
import { useErrorReporter } from "../ui/errors";
import { AuthContext } from "./context";
import type { Auth } from "./types";

/** Loaded lazily (only when VITE_CLERK_PUBLISHABLE_KEY is set), so the dev build never fetches Clerk. */
export default function ClerkAuthProvider({ publishableKey, children }: { publishableKey: string; children: ReactNode }) {
  return (
    <ClerkProvider publishableKey={publishableKey} afterSignOutUrl="/">
      <ClerkBridge>{children}</ClerkBridge>
    </ClerkProvider>
  );
}

function ClerkBridge({ children }: { children: ReactNode }) {
  const { isLoaded, isSignedIn, getToken, signOut } = useClerkAuth();
  const { user } = useUser();
  const { report } = useErrorReporter();
  const userLabel = user?.primaryEmailAddress?.emailAddress ?? user?.username ?? "Signed in";

  // Clerk may hand out new function identities on re-render; keep ours stable so the GraphQL
  // client (and the lists that depend on it) are not rebuilt on every session tick.
  const clerk = useRef({ getToken, signOut });
  clerk.current = { getToken, signOut };
  const stableGetToken = useCallback(() => clerk.current.getToken(), []);
  const stableSignOut = useCallback(() => clerk.current.signOut(), []);
  const handleUnauthorized = useCallback(() => {
    report(new UnauthorizedError());
    void clerk.current.signOut();
  }, [report]);

  const auth = useMemo<Auth>(
    () => ({
      state: !isLoaded ? { status: "loading" } : isSignedIn ? { status: "signedIn", userLabel } : { status: "signedOut" },
      // Clerk caches the session JWT and refreshes it before it expires.
      getToken: stableGetToken,
      signOut: stableSignOut,
      handleUnauthorized,
    }),
    [isLoaded, isSignedIn, userLabel, stableGetToken, stableSignOut, handleUnauthorized],
  );

  let content: ReactNode = children;
  if (!isLoaded) content = <p className="muted">Loading…</p>;
  else if (!isSignedIn)
    content = (
      <main className="sign-in">
        <SignIn routing="hash" />
      </main>
    );
  return <AuthContext.Provider value={auth}>{content}</AuthContext.Provider>;
}
