import { lazy, Suspense, type ReactNode } from "react";
import { DevAuthProvider } from "./DevAuthProvider";

const ClerkAuthProvider = lazy(() => import("./ClerkAuthProvider"));

/** Clerk when a publishable key was given at build time, otherwise the local twin's dev sign-in,
 * which deployed builds do not contain (`__DEV_SIGN_IN__` is false there, see src/buildMode.ts). */
export function AuthProvider({
  children,
  clerkPublishableKey,
}: {
  children: ReactNode;
  clerkPublishableKey: string | undefined;
}) {
  if (!clerkPublishableKey) {
    if (__DEV_SIGN_IN__) return <DevAuthProvider>{children}</DevAuthProvider>;
    return <p className="muted">Sign-in is not configured for this site.</p>;
  }
  return (
    <Suspense fallback={<p className="muted">Loading…</p>}>
      <ClerkAuthProvider publishableKey={clerkPublishableKey}>{children}</ClerkAuthProvider>
    </Suspense>
  );
}
