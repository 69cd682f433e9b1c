/**
 * The bundle carries persisted document ids only (issue 16): no GraphQL document text, so what the
 * browser can send is exactly the manifest the api trusts. Run on every `vite build` (vite.config.ts)
 * over the emitted files, with the manifest relay-compiler wrote (.relay/persisted-documents.json).
 */

export interface EmittedFile {
  name: string;
  text: string;
}

/** A definition's head as GraphQL writes it: `query Name(`, `mutation Name {`, `fragment Name on T`. */
const DEFINITION = /\b(query|mutation|subscription|fragment)\s+[_A-Za-z][_0-9A-Za-z]*\s*(\(|\{|on\s+[_A-Za-z])/;
// Whitespace as a bundle may hold it: raw, or escaped inside a string literal.
const GAP = String.raw`(?:\s|\\[nrt]|,)+`;
const RUN = 3; // field names in a row that make a selection set recognisable

const KEYWORDS = new Set(["query", "mutation", "subscription", "fragment", "on"]);
// A name after these is a variable, a directive, a spread fragment or a type condition, not a field.
const NOT_FIELD_AFTER = new Set(["$", "@", "...", "on"]);

/** Runs of RUN field names in a row inside a selection set (`{ id filename size`), from a document. */
export function selectionRuns(document: string): string[][] {
  const tokens = document.match(/\.\.\.|[_A-Za-z][_0-9A-Za-z]*|"(?:[^"\\]|\\.)*"|[^\s,]/g) ?? [];
  const runs: string[][] = [];
  let names: string[] = [];
  let inArguments = 0;
  for (const [index, token] of tokens.entries()) {
    if (token === "(") inArguments += 1;
    else if (token === ")") inArguments -= 1;
    if (inArguments > 0 || token === ")") continue; // arguments and variable definitions select nothing
    const previous = tokens[index - 1] ?? "";
    if (/^[_A-Za-z]/.test(token) && !KEYWORDS.has(token) && !NOT_FIELD_AFTER.has(previous)) {
      names.push(token);
      if (names.length >= RUN) runs.push(names.slice(-RUN));
    } else {
      names = [];
    }
  }
  return runs;
}

/** What of GraphQL document text the emitted files contain; empty when they carry ids only. */
export function operationTextIn(files: readonly EmittedFile[], documents: Record<string, string>): string[] {
  const patterns = Object.values(documents).flatMap((document) =>
    selectionRuns(document).map((run) => ({
      run: run.join(" "),
      pattern: new RegExp(String.raw`\b` + run.join(GAP) + String.raw`\b`),
    })),
  );
  const findings: string[] = [];
  for (const file of files) {
    const head = DEFINITION.exec(file.text);
    if (head) findings.push(`${file.name}: a GraphQL definition "${head[0]}"`);
    for (const { run, pattern } of patterns) {
      if (pattern.test(file.text)) findings.push(`${file.name}: the selection "${run}" of a persisted document`);
    }
  }
  return [...new Set(findings)];
}

/** The manifest's ids the files lack: each must be there, or the bundle cannot send that operation. */
export function missingDocumentIds(files: readonly EmittedFile[], documents: Record<string, string>): string[] {
  const text = files.map((file) => file.text).join("\n");
  return Object.keys(documents).filter((id) => !text.includes(id));
}
