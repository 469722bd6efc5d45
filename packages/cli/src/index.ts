export { devnetValidatorKeys, type PlannedNode, planDevnet } from "./devnet/layout.js";
export type { DevnetManifest, ManifestNode } from "./devnet/manifest.js";
export { chainNodeRuntimeFlags, NODE_RUNTIME_FLAGS } from "./devnet/supervisor.js";
export { deriveAccounts, TEST_MNEMONIC } from "./mnemonic.js";
export { buildProgram, VERSION } from "./program.js";
