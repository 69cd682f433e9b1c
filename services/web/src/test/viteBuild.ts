import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { build, type PluginOption } from "vite";
import type { EmittedFile } from "../bundleCheck";

const ROOT = resolve(__dirname, "../..");

/** A real `vite build` of this app in a mode (plus plugins); returns every emitted file with its text. */
export async function buildIn(
  mode: string,
  key: string | undefined,
  plugins: PluginOption[] = [],
): Promise<EmittedFile[]> {
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
      plugins,
      build: { outDir, emptyOutDir: true },
    });
    const files = await readdir(outDir, { recursive: true, withFileTypes: true });
    return await Promise.all(
      files
        .filter((file) => file.isFile())
        .map(async (file) => ({ name: file.name, text: await readFile(join(file.parentPath, file.name), "utf8") })),
    );
  } finally {
    if (saved === undefined) delete process.env.VITE_CLERK_PUBLISHABLE_KEY;
    else process.env.VITE_CLERK_PUBLISHABLE_KEY = saved;
    await rm(outDir, { recursive: true, force: true });
  }
}

