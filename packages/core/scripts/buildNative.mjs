// Builds the optional native addons at `npm install`/`npm ci`, offline: keccak (build/Release/zg_keccak.node) and
// secp256k1 recovery over the system libsecp256k1 (native/secp256k1/build/Release/zg_secp256k1.node).
// node-gyp would otherwise download Node's headers; we point it at the headers installed with the running node
// (<prefix>/include/node) or at node-gyp's cache. Any failure prints one warning per addon and exits 0: the hash-wasm
// and npm secp256k1 paths stay the defaults and everything works without the addons, only slower.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { homedir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const pkgDir = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const verbose = process.env.ZG_NATIVE_VERBOSE === "1";

function warn(addon, reason) {
  console.warn(`@zerog/core: ${addon.label} not built (${reason}); ${addon.fallback}.`);
}

const addons = [
  {
    label: "native keccak addon",
    fallback: "using the hash-wasm Merkle hasher (slower)",
    dir: pkgDir,
    output: "build/Release/zg_keccak.node",
    missing: () => null,
  },
  {
    // Links the system libsecp256k1 (Debian: libsecp256k1-dev); without it the npm `secp256k1` package recovers.
    label: "native secp256k1 addon",
    fallback: "recovering senders with the npm secp256k1 package (slower)",
    dir: join(pkgDir, "native/secp256k1"),
    output: "build/Release/zg_secp256k1.node",
    missing: () =>
      ["/usr/include", "/usr/local/include"].some((d) => existsSync(join(d, "secp256k1_recovery.h")))
        ? null
        : "no libsecp256k1 headers (apt-get install libsecp256k1-dev)",
  },
];

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

function build(addon, nodeGyp, nodeDir) {
  const missing = addon.missing();
  if (missing !== null) return warn(addon, missing);
  const run = spawnSync(process.execPath, [nodeGyp, "rebuild", `--nodedir=${nodeDir}`, "--jobs=2"], {
    cwd: addon.dir,
    encoding: "utf8",
    stdio: verbose ? "inherit" : "pipe",
    timeout: 300_000,
    env: { ...process.env, npm_config_nodedir: nodeDir },
  });
  if (run.error) return warn(addon, `could not run node-gyp: ${run.error.message}`);
  if (run.status !== 0) {
    const log = `${run.stdout ?? ""}\n${run.stderr ?? ""}`.split("\n");
    // The most telling line: a compiler error, a missing tool (Python, make, cc), else node-gyp's own error.
    const patterns = [/error:/i, /You need to install|not found|No such file|could not find/i, /gyp ERR! stack Error/];
    const first = patterns
      .map((re) => log.find((l) => re.test(l)))
      .find((l) => l !== undefined)
      ?.replace(/^gyp ERR! (find Python |stack )?/, "")
      .trim();
    return warn(addon, `node-gyp exited with ${run.status}${first ? `: ${first}` : ""}; set ZG_NATIVE_VERBOSE=1 for the full log`);
  }
  if (!existsSync(join(addon.dir, addon.output))) warn(addon, `node-gyp succeeded but ${addon.output} is missing`);
}

function main() {
  const all = (reason) => {
    for (const a of addons) warn(a, reason);
  };
  if (process.env.ZG_SKIP_NATIVE === "1") return all("ZG_SKIP_NATIVE=1");
  const nodeGyp = findNodeGyp();
  if (nodeGyp === null) return all("node-gyp not found next to npm");
  const nodeDir = findNodeDir();
  if (nodeDir === null)
    return all(`no Node headers at ${dirname(dirname(process.execPath))}/include/node and none cached; not downloading them`);
  for (const a of addons) build(a, nodeGyp, nodeDir);
}

// Any failure prints one warning per addon and exits 0: each addon is optional.
main();
