/// <reference types="vite/client" />

interface ImportMetaEnv {
  /** Clerk publishable key; when unset the app uses the local twin's dev sign-in. */
  readonly VITE_CLERK_PUBLISHABLE_KEY?: string;
}

interface ImportMeta {
  readonly env: ImportMetaEnv;
}

/** False in deployed builds (vite.config.ts): the dev sign-in is compiled out. */
declare const __DEV_SIGN_IN__: boolean;
