import { Command } from "commander";
import { registerComputeCommands } from "./commands/compute.js";
import { registerDACommands } from "./commands/da.js";
import { registerDevnetCommand } from "./commands/devnet.js";
import { registerGenesisCommands } from "./commands/genesis.js";
import { registerKeysCommands } from "./commands/keys.js";
import { registerNodeCommands } from "./commands/node.js";
import { registerStorageCommands } from "./commands/storage.js";
import { registerStorageNodeCommand } from "./commands/storageNode.js";

export const VERSION = "0.1.0";

/** The `zg` command tree. */
export function buildProgram(): Command {
  const program = new Command()
    .name("zg")
    .description("zerog: a modular, AI-native Layer-1 — chain, storage, data availability and compute")
    .version(VERSION)
    .showHelpAfterError("(run with --help for usage)");
  registerDevnetCommand(program);
  registerNodeCommands(program);
  registerGenesisCommands(program);
  registerKeysCommands(program);
  // One `storage` group: `zg storage node` (storageNode.ts) and `zg storage upload|download|info` (storage.ts).
  const storage = program.command("storage").description("0G Storage: run a storage node; upload, download and inspect files");
  registerStorageCommands(storage);
  registerStorageNodeCommand(storage);
  registerDACommands(program);
  registerComputeCommands(program);
  return program;
}
