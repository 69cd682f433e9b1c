import { lazy, Suspense, type ReactNode } from "react";
import { DevAuthProvider } from "./DevAuthProvider";

const ClerkAuthProvider = lazy(() => import("./ClerkAuthProvider"));

/** Clerk when a publishable key was given at build time, otherwise the local twin's dev sign-in. */
export function AuthProvider({
  children,
  clerkPublishableKey,
}: {
  children: ReactNode;
  clerkPublishableKey: string | undefined;
}) {
  if (!clerkPublishableKey) return <DevAuthProvider>{children}</DevAuthProvider>;
  return (
    <Suspense fallback={<p className="muted">Loading…</p>}>
      <ClerkAuthProvider publishableKey={clerkPublishableKey}>{children}</ClerkAuthProvider>
    </Suspense>
  );
}
