// @vitest-environment node
import { describe, expect, it } from "vitest";
import { checkDeployedKey, DEPLOYED_MODE, devSignInFor } from "./buildMode";
import { DEV_TOKEN_ENDPOINT } from "./auth/devSession";
import { buildIn } from "./test/viteBuild";

const KEY = `pk_test_${btoa("example.clerk.accounts.dev$")}`;
const textOf = async (mode: string, key: string | undefined) =>
  (await buildIn(mode, key)).map((file) => file.text).join("\n");

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
    await expect(textOf(DEPLOYED_MODE, undefined)).rejects.toThrow(/VITE_CLERK_PUBLISHABLE_KEY is not set/);
  }, 120_000);

  it("compiles the dev sign-in out of deployed builds and keeps it in the twin's", async () => {
    const deployed = await textOf(DEPLOYED_MODE, KEY);
    expect(deployed).toContain(KEY); // baked in at build time
    expect(deployed).not.toContain(DEV_TOKEN_ENDPOINT);
    const twin = await textOf("production", undefined);
    expect(twin).toContain(DEV_TOKEN_ENDPOINT); // the same check sees it when it is there
  }, 120_000);
});
