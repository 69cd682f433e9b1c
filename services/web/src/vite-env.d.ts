/// <reference types="vite/client" />

interface ImportMetaEnv {
  /** Clerk publishable key; when unset the app uses the local twin's dev sign-in. */
  readonly VITE_CLERK_PUBLISHABLE_KEY?: string;
}

interface ImportMeta {
  readonly env: ImportMetaEnv;
}
