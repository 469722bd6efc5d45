// Compiles a directory of Solidity sources with solc-js (bundled soljson, fully offline) through the standard JSON
// interface. Kept apart from build.mjs so tests can compile a temporary copy of the sources.
import { readdir, readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { join, relative, sep } from "node:path";

/** Compiler settings for every contract; part of the build hash, so changing them forces a recompile. */
export const SOLC_SETTINGS = Object.freeze({
  optimizer: { enabled: true, runs: 200 },
  evmVersion: "cancun",
  outputSelection: { "*": { "*": ["abi", "evm.bytecode.object", "evm.deployedBytecode.object"] } },
});

/** The installed solc-js version, read without loading the 9 MB compiler, so an up-to-date check stays cheap. */
export async function installedSolcVersion() {
  const require = createRequire(import.meta.url);
  const pkg = JSON.parse(await readFile(require.resolve("solc/package.json"), "utf8"));
  return String(pkg.version);
}

/**
 * Reads every `*.sol` file inside `sourceDir` and its subdirectories, sorted by name. Source unit names are paths
 * relative to `sourceDir` (`Token.sol`, `storage/Flow.sol`), so the bytecode (whose metadata hash covers them) does not
 * depend on where the directory lives, and relative imports between sources resolve.
 * @param {string} sourceDir
 * @returns {Promise<Record<string, {content: string}>>}
 */
export async function readSources(sourceDir) {
  const entries = await readdir(sourceDir, { recursive: true, withFileTypes: true });
  const names = entries
    .filter((e) => e.isFile() && e.name.endsWith(".sol"))
    .map((e) =>
      relative(sourceDir, join(e.parentPath ?? e.path, e.name))
        .split(sep)
        .join("/"),
    )
    .sort();
  /** @type {Record<string, {content: string}>} */
  const sources = {};
  for (const name of names) sources[name] = { content: await readFile(join(sourceDir, name), "utf8") };
  return sources;
}

/**
 * @typedef {{severity: string, message: string, formattedMessage: string}} Diagnostic
 * @typedef {{name: string, sourceFile: string, abi: unknown[], bytecode: string, deployedBytecode: string}} CompiledContract
 * @typedef {{solcVersion: string, errors: Diagnostic[], warnings: Diagnostic[], contracts: CompiledContract[]}} CompileResult
 */

/**
 * Compiles all sources. Never throws for bad Solidity: compiler errors come back in `errors` (empty on success);
 * warnings and infos in `warnings`. Contracts without bytecode (interfaces, abstract contracts) are left out.
 * @param {Record<string, {content: string}>} sources
 * @returns {Promise<CompileResult>}
 */
export async function compileSources(sources) {
  const { default: solc } = await import("solc");
  const solcVersion = solc.version().replace(/\.Emscripten\.clang$/, "");
  /** @type {Diagnostic[]} */
  const errors = [];
  /** @type {Diagnostic[]} */
  const warnings = [];
  if (Object.keys(sources).length === 0) {
    errors.push(diagnostic("error", "no .sol files found"));
    return { solcVersion, errors, warnings, contracts: [] };
  }

  const input = { language: "Solidity", sources, settings: SOLC_SETTINGS };
  // Imports may only name sources of this directory tree (already in `sources`); no node_modules, no network.
  const findImports = (path) => ({ error: `${path} not found: only .sol files of the contracts directory can be imported` });
  const output = JSON.parse(solc.compile(JSON.stringify(input), { import: findImports }));

  for (const e of output.errors ?? []) {
    const d = diagnostic(e.severity, e.message, e.formattedMessage);
    (e.severity === "error" ? errors : warnings).push(d);
  }
  if (errors.length > 0) return { solcVersion, errors, warnings, contracts: [] };

  /** @type {CompiledContract[]} */
  const contracts = [];
  const seen = new Map();
  for (const [sourceFile, byName] of Object.entries(output.contracts ?? {})) {
    for (const [name, artifact] of Object.entries(byName)) {
      const bytecode = artifact.evm?.bytecode?.object ?? "";
      if (bytecode === "") continue;
      if (seen.has(name)) {
        errors.push(diagnostic("error", `contract ${name} is defined in both ${seen.get(name)} and ${sourceFile}; names must be unique`));
        continue;
      }
      seen.set(name, sourceFile);
      contracts.push({
        name,
        sourceFile,
        abi: artifact.abi,
        bytecode: `0x${bytecode}`,
        deployedBytecode: `0x${artifact.evm.deployedBytecode.object}`,
      });
    }
  }
  contracts.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { solcVersion, errors, warnings, contracts: errors.length > 0 ? [] : contracts };
}

/**
 * Reads and compiles every `*.sol` file in `sourceDir`.
 * @param {string} sourceDir
 * @returns {Promise<CompileResult>}
 */
export async function compileContracts(sourceDir) {
  return compileSources(await readSources(sourceDir));
}

/** @returns {Diagnostic} */
function diagnostic(severity, message, formattedMessage) {
  return { severity, message, formattedMessage: formattedMessage ?? `Error: ${message}\n` };
}
