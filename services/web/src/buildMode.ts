/**
 * The build modes (issue 20). `vite build --mode deployed` is what AWS serves: Clerk sign-in only.
 * The dev sign-in POSTs /__dev/token, a path only the local twin serves (CloudFront's default
 * behavior allows GET and HEAD only and answers that POST with 403), so a deployed build leaves it
 * out entirely, and refuses to build without the environment's Clerk publishable key, which Vite
 * bakes into the bundle at build time (https://vite.dev/guide/env-and-mode).
 */
export const DEPLOYED_MODE = "deployed";

/** A Clerk publishable key: "pk_test_" or "pk_live_" then base64 of the Frontend API host and "$". */
const CLERK_KEY = /^pk_(test|live)_[A-Za-z0-9+/=]+$/;

/** Whether dev sign-in is compiled in for a mode: everywhere but in deployed builds. */
export function devSignInFor(mode: string): boolean {
  return mode !== DEPLOYED_MODE;
}

/** Throws, naming what to do, when a deployed build has no valid Clerk publishable key. */
export function checkDeployedKey(mode: string, key: string | undefined): void {
  if (mode !== DEPLOYED_MODE) return;
  if (!key) {
    throw new Error(
      "VITE_CLERK_PUBLISHABLE_KEY is not set: a deployed build (--mode deployed) signs in with Clerk only. " +
        "Set it to the environment's publishable key (GitHub environment variable CLERK_PUBLISHABLE_KEY).",
    );
  }
  if (!CLERK_KEY.test(key)) {
    throw new Error(`VITE_CLERK_PUBLISHABLE_KEY does not look like a Clerk publishable key (pk_test_... or pk_live_...)`);
  }
}
