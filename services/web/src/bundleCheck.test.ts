// @vitest-environment node
import type { Plugin } from "vite";
import { describe, expect, it } from "vitest";
import persistedDocuments from "../.relay/persisted-documents.json";
import { missingDocumentIds, operationTextIn, selectionRuns } from "./bundleCheck";
import { buildIn } from "./test/viteBuild";

const KEY = `pk_test_${btoa("example.clerk.accounts.dev$")}`;
const documents: Record<string, string> = persistedDocuments;
const [someId, someDocument] = Object.entries(documents).find(([, text]) => text.startsWith("query WorkspaceQuery"))!;

describe("the bundle check", () => {
  it("reads the field-name runs of a document's selection sets, not its arguments, spreads or types", () => {
    const runs = selectionRuns(
      "query Q($first: Int = 2) { viewer { uploads(first: $first, after: null) @connection(key: \"k\") " +
        "{ edges { cursor node { id filename size ...F } } } } }\nfragment F on Upload { status createdAt downloadUrl }",
    );
    expect(runs).toEqual([
      ["id", "filename", "size"],
      ["status", "createdAt", "downloadUrl"],
    ]);
  });

  it("finds a document in a file, raw or as an escaped string, and nothing in ids, ASTs or prose", () => {
    const planted = [
      { name: "raw.js", text: `const q = \`${someDocument}\`;` },
      { name: "escaped.js", text: `const q = ${JSON.stringify(someDocument)};` },
      { name: "selection.js", text: 'x("edges{node{id prompt answer model}}")' },
    ];
    const found = operationTextIn(planted, documents);
    expect(found.some((finding) => finding.startsWith('raw.js: a GraphQL definition "query WorkspaceQuery {"'))).toBe(true);
    expect(found.some((finding) => finding.startsWith("escaped.js: a GraphQL definition"))).toBe(true);
    expect(found).toContain('selection.js: the selection "id prompt answer" of a persisted document');

    const clean = [
      { name: "ids.js", text: `params:{id:"${someId}",name:"WorkspaceQuery",operationKind:"query",text:null}` },
      { name: "ast.js", text: 'selections:[{kind:"ScalarField",name:"id"},{kind:"ScalarField",name:"prompt"}]' },
      { name: "prose.js", text: "the query string, a mutation observer; fragment caching" },
    ];
    expect(operationTextIn(clean, documents)).toEqual([]);
    expect(missingDocumentIds(clean, documents)).toEqual(Object.keys(documents).filter((id) => id !== someId));
  });

  it("a real deployed build carries every persisted id and no document text", async () => {
    const files = await buildIn("deployed", KEY);

    expect(files.some((file) => file.name.endsWith(".js"))).toBe(true);
    expect(Object.keys(documents).length).toBeGreaterThanOrEqual(5);
    expect(missingDocumentIds(files, documents)).toEqual([]);
    expect(operationTextIn(files, documents)).toEqual([]);
  }, 180_000);

  it("fails the build when a document's text gets into the bundle", async () => {
    const leak: Plugin = {
      name: "test:leak-a-document",
      transform(code, id) {
        return id.endsWith("/src/main.tsx") ? `${code}\nconsole.info(${JSON.stringify(someDocument)});` : null;
      },
    };

    await expect(buildIn("deployed", KEY, [leak])).rejects.toThrow(/persisted document ids only.*GraphQL definition/s);
  }, 180_000);
});
