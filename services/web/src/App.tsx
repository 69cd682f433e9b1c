import { useMemo } from "react";
import { RelayEnvironmentProvider } from "react-relay";
import { createRelayEnvironment } from "./api/environment";
import { AuthProvider } from "./auth/AuthProvider";
import { useAuth } from "./auth/context";
import { ErrorBanner, ErrorProvider } from "./ui/errors";
import { LoadBoundary } from "./ui/LoadBoundary";
import { Workspace } from "./Workspace";

export function App({ clerkPublishableKey = import.meta.env.VITE_CLERK_PUBLISHABLE_KEY }: { clerkPublishableKey?: string }) {
  return (
    <ErrorProvider>
      <ErrorBanner />
      <AuthProvider clerkPublishableKey={clerkPublishableKey}>
        <SignedInApp />
      </AuthProvider>
    </ErrorProvider>
  );
}

/** Rendered only with a session: the auth provider shows its sign-in page otherwise. */
export function SignedInApp() {
  const { state, getToken, signOut, handleUnauthorized } = useAuth();
  // The providers keep these callbacks stable, so a token refresh keeps the store (and the lists).
  const environment = useMemo(
    () => createRelayEnvironment({ getToken, onUnauthorized: handleUnauthorized }),
    [getToken, handleUnauthorized],
  );

  return (
    <RelayEnvironmentProvider environment={environment}>
      <header className="app-header">
        <h1>Foundry</h1>
        <div className="user">
          {state.status === "signedIn" && <span data-testid="signed-in-user">{state.userLabel}</span>}
          <button type="button" onClick={() => void signOut()} data-testid="sign-out">
            Sign out
          </button>
        </div>
      </header>
      <LoadBoundary>{(fetchKey) => <Workspace fetchKey={fetchKey} />}</LoadBoundary>
    </RelayEnvironmentProvider>
  );
}
