/// <reference types="vitest/config" />
import react from "@vitejs/plugin-react";
import { defineConfig, loadEnv } from "vite";
import relay from "vite-plugin-relay";
import { checkDeployedKey, devSignInFor } from "./src/buildMode.ts";

// `npm run dev` serves the app on :5173 and forwards the backend paths to the local twin's edge,
// so the browser still sees one origin, as behind CloudFront (spec §1).
const twinUrl = process.env.FOUNDRY_TWIN_URL ?? "http://127.0.0.1:8080";

export default defineConfig(({ mode }) => {
  // The same lookup Vite does for import.meta.env: the process environment, then .env files.
  const key = process.env.VITE_CLERK_PUBLISHABLE_KEY ?? loadEnv(mode, process.cwd(), "VITE_").VITE_CLERK_PUBLISHABLE_KEY;
  checkDeployedKey(mode, key);
  return {
    base: "/",
    // relay: each graphql`` tag becomes an import of its compiled artifact (npm run relay writes them).
    plugins: [react(), relay],
    // A compile-time constant: with `false` the bundler drops the dev sign-in branch and its module.
    define: { __DEV_SIGN_IN__: JSON.stringify(devSignInFor(mode)) },
    build: {
      outDir: "dist",
      assetsDir: "assets",
      sourcemap: false,
    },
    server: {
      proxy: {
        "/graphql": twinUrl,
        "/__dev": twinUrl,
      },
    },
    test: {
      environment: "jsdom",
      include: ["src/**/*.test.{ts,tsx}"],
      setupFiles: ["src/test/setup.ts"],
      restoreMocks: true,
      unstubGlobals: true,
    },
  };
});
