// @vitest-environment node
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { build } from "vite";
import { checkDeployedKey, DEPLOYED_MODE, devSignInFor } from "./buildMode";
import { DEV_TOKEN_ENDPOINT } from "./auth/devSession";

const KEY = `pk_test_${btoa("example.clerk.accounts.dev$")}`;
const ROOT = resolve(__dirname, "..");

/** A real `vite build` of this app in a mode; returns the text of every emitted file. */
async function buildIn(mode: string, key: string | undefined): Promise<string> {
  const outDir = await mkdtemp(join(tmpdir(), "foundry-web-"));
  const saved = process.env.VITE_CLERK_PUBLISHABLE_KEY;
  if (key === undefined) delete process.env.VITE_CLERK_PUBLISHABLE_KEY;
  else process.env.VITE_CLERK_PUBLISHABLE_KEY = key;
  try {
    await build({
      root: ROOT,
      configFile: join(ROOT, "vite.config.ts"),
      mode,
      logLevel: "silent",
      build: { outDir, emptyOutDir: true },
    });
    const files = await readdir(outDir, { recursive: true, withFileTypes: true });
    const texts = await Promise.all(
      files.filter((file) => file.isFile()).map((file) => readFile(join(file.parentPath, file.name), "utf8")),
    );
    return texts.join("\n");
  } finally {
    if (saved === undefined) delete process.env.VITE_CLERK_PUBLISHABLE_KEY;
    else process.env.VITE_CLERK_PUBLISHABLE_KEY = saved;
    await rm(outDir, { recursive: true, force: true });
  }
}

describe("build modes", () => {
  it("refuses a deployed build without a (well-formed) Clerk key, and names the variable", () => {
    expect(() => checkDeployedKey(DEPLOYED_MODE, undefined)).toThrow(/VITE_CLERK_PUBLISHABLE_KEY is not set/);
    expect(() => checkDeployedKey(DEPLOYED_MODE, "")).toThrow(/is not set/);
    expect(() => checkDeployedKey(DEPLOYED_MODE, "sk_live_secret")).toThrow(/does not look like/);
    expect(() => checkDeployedKey(DEPLOYED_MODE, KEY)).not.toThrow();
    expect(() => checkDeployedKey("production", undefined)).not.toThrow(); // the twin's build
    expect(devSignInFor(DEPLOYED_MODE)).toBe(false);
    expect(devSignInFor("production")).toBe(true);
  });

  it("fails `vite build --mode deployed` when the key is missing", async () => {
    await expect(buildIn(DEPLOYED_MODE, undefined)).rejects.toThrow(/VITE_CLERK_PUBLISHABLE_KEY is not set/);
  }, 120_000);

  it("compiles the dev sign-in out of deployed builds and keeps it in the twin's", async () => {
    const deployed = await buildIn(DEPLOYED_MODE, KEY);
    expect(deployed).toContain(KEY); // baked in at build time
    expect(deployed).not.toContain(DEV_TOKEN_ENDPOINT);
    const twin = await buildIn("production", undefined);
    expect(twin).toContain(DEV_TOKEN_ENDPOINT); // the same check sees it when it is there
  }, 120_000);
});
