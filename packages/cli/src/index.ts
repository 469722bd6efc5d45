export type { DevnetManifest, ManifestNode } from "./devnet/manifest.js";
export { deriveAccounts, TEST_MNEMONIC } from "./mnemonic.js";
export { buildProgram, VERSION } from "./program.js";
