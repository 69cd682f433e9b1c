import { useMemo } from "react";
import { createGraphQLClient } from "./api/graphql";
import { AuthProvider } from "./auth/AuthProvider";
import { useAuth } from "./auth/context";
import { AiPanel } from "./features/ai/AiPanel";
import { UploadsPanel } from "./features/uploads/UploadsPanel";
import { ErrorBanner, ErrorProvider } from "./ui/errors";

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
  const client = useMemo(
    () => createGraphQLClient({ getToken, onUnauthorized: handleUnauthorized }),
    [getToken, handleUnauthorized],
  );

  return (
    <>
      <header className="app-header">
        <h1>Foundry</h1>
        <div className="user">
          {state.status === "signedIn" && <span data-testid="signed-in-user">{state.userLabel}</span>}
          <button type="button" onClick={() => void signOut()} data-testid="sign-out">
            Sign out
          </button>
        </div>
      </header>
      <main className="app-main">
        <UploadsPanel client={client} />
        <AiPanel client={client} />
      </main>
    </>
  );
}
