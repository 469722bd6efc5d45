// Builds the optional native keccak addon (build/Release/zg_keccak.node) at `npm install`/`npm ci`, offline.
// node-gyp would otherwise download Node's headers; we point it at the headers installed with the running node
// (<prefix>/include/node) or at node-gyp's cache. Any failure prints one warning and exits 0: the hash-wasm path
// stays the default and everything works without the addon, only slower.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { homedir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const pkgDir = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const verbose = process.env.ZG_NATIVE_VERBOSE === "1";

function warn(reason) {
  console.warn(`@zerog/core: native keccak addon not built (${reason}); using the hash-wasm Merkle hasher (slower).`);
  process.exit(0);
}

function findNodeGyp() {
  const candidates = [
    process.env.npm_config_node_gyp,
    join(dirname(process.execPath), "../lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js"),
    process.env.npm_execpath && join(dirname(process.env.npm_execpath), "../node_modules/node-gyp/bin/node-gyp.js"),
  ];
  for (const c of candidates) if (c && existsSync(c)) return c;
  try {
    return createRequire(import.meta.url).resolve("node-gyp/bin/node-gyp.js");
  } catch {
    return null;
  }
}

function findNodeDir() {
  const prefix = dirname(dirname(process.execPath));
  if (existsSync(join(prefix, "include/node/node.h")) && existsSync(join(prefix, "include/node/node_api.h"))) return prefix;
  const cached = join(homedir(), ".cache/node-gyp", process.versions.node);
  if (existsSync(join(cached, "include/node/node_api.h"))) return cached;
  return null;
}

if (process.env.ZG_SKIP_NATIVE === "1") warn("ZG_SKIP_NATIVE=1");
const nodeGyp = findNodeGyp();
if (nodeGyp === null) warn("node-gyp not found next to npm");
const nodeDir = findNodeDir();
if (nodeDir === null) warn(`no Node headers at ${dirname(dirname(process.execPath))}/include/node and none cached; not downloading them`);

const run = spawnSync(process.execPath, [nodeGyp, "rebuild", `--nodedir=${nodeDir}`, "--jobs=2"], {
  cwd: pkgDir,
  encoding: "utf8",
  stdio: verbose ? "inherit" : "pipe",
  timeout: 300_000,
  env: { ...process.env, npm_config_nodedir: nodeDir },
});
if (run.error) warn(`could not run node-gyp: ${run.error.message}`);
if (run.status !== 0) {
  const log = `${run.stdout ?? ""}\n${run.stderr ?? ""}`.split("\n");
  // The most telling line: a compiler error, a missing tool (Python, make, cc), else node-gyp's own error.
  const patterns = [/error:/i, /You need to install|not found|No such file|could not find/i, /gyp ERR! stack Error/];
  const first = patterns
    .map((re) => log.find((l) => re.test(l)))
    .find((l) => l !== undefined)
    ?.replace(/^gyp ERR! (find Python |stack )?/, "")
    .trim();
  warn(`node-gyp exited with ${run.status}${first ? `: ${first}` : ""}; set ZG_NATIVE_VERBOSE=1 for the full log`);
}
if (!existsSync(join(pkgDir, "build/Release/zg_keccak.node"))) warn("node-gyp succeeded but build/Release/zg_keccak.node is missing");
