// `npm run relay`: relay-compiler validates every graphql`` operation in src/ against the api's
// committed schema (../api/schema.graphql), writes src/**/__generated__/ (typed artifacts carrying
// document ids only) and .relay/persisted-documents.json (id -> document text, SHA-256).
// The compiler adds to an existing manifest (relay-compiler-config-schema.json: LocalPersistConfig),
// so it starts from an empty one (the file must exist): it holds exactly the documents this source sends;
// and it leaves the artifacts of deleted operations behind, so those go first too.
import { spawnSync } from "node:child_process";
import { mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const web = join(dirname(fileURLToPath(import.meta.url)), "..");
const manifest = join(web, ".relay", "persisted-documents.json");
const src = join(web, "src");
for (const entry of readdirSync(src, { recursive: true, encoding: "utf8" })) {
  if (basename(entry) === "__generated__") rmSync(join(src, entry), { recursive: true, force: true });
}
mkdirSync(dirname(manifest), { recursive: true });
writeFileSync(manifest, "{}\n");
const compiler = join(web, "node_modules", "relay-compiler", "cli.js");
const run = spawnSync(process.execPath, [compiler, ...process.argv.slice(2)], { cwd: web, stdio: "inherit" });
process.exit(run.status ?? 1);
