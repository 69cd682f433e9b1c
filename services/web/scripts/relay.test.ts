// @vitest-environment node
import { spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join, resolve } from "node:path";
import { afterEach, describe, expect, it } from "vitest";

const WEB = resolve(__dirname, "..");
const SCHEMA = resolve(WEB, "../api/schema.graphql");
let copies: string[] = [];

/** This app in a temporary folder laid out as the repository is (web/ beside api/schema.graphql). */
function copyOfTheApp(): string {
  const root = mkdtempSync(join(tmpdir(), "foundry-relay-"));
  copies.push(root);
  const web = join(root, "web");
  for (const path of ["relay.config.json", "scripts", "src"]) {
    cpSync(join(WEB, path), join(web, path), {
      recursive: true,
      filter: (source) => basename(source) !== "__generated__",
    });
  }
  symlinkSync(join(WEB, "node_modules"), join(web, "node_modules"), "dir");
  cpSync(SCHEMA, join(root, "api", "schema.graphql"));
  return web;
}

/** `npm run relay` in that copy, as `make test`'s web step runs it. */
function relay(web: string) {
  const run = spawnSync(process.execPath, [join(web, "scripts", "relay.mjs")], {
    cwd: web,
    encoding: "utf8",
    timeout: 120_000,
  });
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

afterEach(() => {
  for (const root of copies) rmSync(root, { recursive: true, force: true });
  copies = [];
});

describe("npm run relay (relay-compiler against services/api/schema.graphql)", () => {
  it("compiles the app and writes exactly its documents to .relay/persisted-documents.json", () => {
    const web = copyOfTheApp();

    const { status, output } = relay(web);

    expect(output).toContain("Compilation completed");
    expect(status).toBe(0);
    const documents = JSON.parse(readFileSync(join(web, ".relay", "persisted-documents.json"), "utf8")) as Record<string, string>;
    expect(documents).toEqual(JSON.parse(readFileSync(join(WEB, ".relay", "persisted-documents.json"), "utf8")));
  });

  it("fails, naming the field, the type and the file, on an operation the schema does not have", () => {
    const web = copyOfTheApp();
    writeFileSync(
      join(web, "src", "Planted.ts"),
      'import { graphql } from "react-relay";\n\n' +
        "export const planted = graphql`\n  query PlantedQuery {\n    viewer {\n      uploadz {\n        edges { cursor }\n      }\n    }\n  }\n`;\n",
    );

    const { status, output } = relay(web);

    expect(status).not.toBe(0);
    expect(output).toContain("The type `Viewer` has no field `uploadz`");
    expect(output).toContain("src/Planted.ts");
    expect(output).toContain("Compilation failed");
  });

  it("fails on a variable of the wrong type for an argument", () => {
    const web = copyOfTheApp();
    writeFileSync(
      join(web, "src", "Planted.ts"),
      'import { graphql } from "react-relay";\n\n' +
        "export const planted = graphql`\n  mutation PlantedMutation($size: String!) {\n" +
        '    createUpload(input: { filename: "a", contentType: "b", size: $size }) {\n      __typename\n    }\n  }\n`;\n',
    );

    const { status, output } = relay(web);

    expect(status).not.toBe(0);
    expect(output).toMatch(/String!?.*Int|Int.*String/);
    expect(output).toContain("src/Planted.ts");
  });
});
