export type AuthState =
  | { status: "loading" }
  | { status: "signedOut" }
  | { status: "signedIn"; userLabel: string };

/** What the app needs from a sign-in provider; the dev twin and Clerk both implement it. */
export interface Auth {
  state: AuthState;
  /** A bearer token for /graphql, refreshed by the provider before it expires; null when signed out. */
  getToken: () => Promise<string | null>;
  signOut: () => Promise<void>;
  /** The backend rejected the token (HTTP 401): drop the session and show the sign-in page. */
  handleUnauthorized: () => void;
}
