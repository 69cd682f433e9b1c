/// <reference types="vitest/config" />
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import react from "@vitejs/plugin-react";
import { defineConfig, loadEnv, type Plugin } from "vite";
import relay from "vite-plugin-relay";
import { missingDocumentIds, operationTextIn } from "./src/bundleCheck.ts";
import { checkDeployedKey, devSignInFor } from "./src/buildMode.ts";

// `npm run dev` serves the app on :5173 and forwards the backend paths to the local twin's edge,
// so the browser still sees one origin, as behind CloudFront (spec §1).
const twinUrl = process.env.FOUNDRY_TWIN_URL ?? "http://127.0.0.1:8080";
// What relay-compiler persisted (npm run relay): id -> document text, the api's trusted documents.
const MANIFEST = fileURLToPath(new URL("./.relay/persisted-documents.json", import.meta.url));

/** Fails the build when the bundle carries GraphQL document text, or lacks an id of the manifest. */
function persistedDocumentsOnly(): Plugin {
  return {
    name: "foundry:persisted-documents-only",
    apply: "build",
    generateBundle(_options, bundle) {
      if (!existsSync(MANIFEST)) this.error(`${MANIFEST} is missing: run npm run relay (npm run build does) first`);
      const documents = JSON.parse(readFileSync(MANIFEST, "utf8")) as Record<string, string>;
      const files = Object.values(bundle).map((item) => ({
        name: item.fileName,
        text: item.type === "chunk" ? item.code : typeof item.source === "string" ? item.source : new TextDecoder().decode(item.source),
      }));
      const found = operationTextIn(files, documents);
      if (found.length > 0) {
        this.error(`the bundle must carry persisted document ids only, but it has GraphQL text: ${found.join("; ")}`);
      }
      const missing = missingDocumentIds(files, documents);
      if (missing.length > 0) {
        this.error(`the bundle lacks persisted documents of ${MANIFEST}: ${missing.join(", ")} (run npm run relay)`);
      }
    },
  };
}

export default defineConfig(({ mode }) => {
  // The same lookup Vite does for import.meta.env: the process environment, then .env files.
  const key = process.env.VITE_CLERK_PUBLISHABLE_KEY ?? loadEnv(mode, process.cwd(), "VITE_").VITE_CLERK_PUBLISHABLE_KEY;
  checkDeployedKey(mode, key);
  return {
    base: "/",
    // relay: each graphql`` tag becomes an import of its compiled artifact (npm run relay writes them).
    plugins: [react(), relay, persistedDocumentsOnly()],
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
      include: ["src/**/*.test.{ts,tsx}", "scripts/**/*.test.ts"],
      // A bound, not a measure: on a shared 2-core machine a render beside a vite build can take >5 s.
      testTimeout: 30_000,
      setupFiles: ["src/test/setup.ts"],
      restoreMocks: true,
      unstubGlobals: true,
    },
  };
});
