import { writeFileSync } from "node:fs";
import {
  bytesToHex,
  generatePrivateKey,
  hexToBytes,
  isHex,
  isValidPrivateKey,
  privateKeyToAddressBytes,
  toChecksumAddress,
} from "@zerog/core";
import type { Command } from "commander";
import { CliError, CliErrorCode, intArg, readJsonFile } from "../config.js";
import { deriveAccounts } from "../mnemonic.js";

function keyFromArg(key: string): Uint8Array {
  const hex = key.startsWith("0x") ? key : `0x${key}`;
  if (!isHex(hex) || hex.length !== 66 || !isValidPrivateKey(hexToBytes(hex))) {
    throw new CliError(
      { code: CliErrorCode.BAD_ARGUMENT, detail: "key" },
      "the private key must be 32 bytes of hex, within the secp256k1 order",
    );
  }
  return hexToBytes(hex);
}

export function registerKeysCommands(program: Command): void {
  const keys = program.command("keys").description("create and show account keys");
  keys
    .command("new")
    .description("generate a new secp256k1 account key")
    .option("--out <file>", "save {address, privateKey} as JSON to this file (mode 0600) instead of printing the key")
    .action((o: { out?: string }) => {
      const key = generatePrivateKey();
      const account = { address: toChecksumAddress(privateKeyToAddressBytes(key)), privateKey: bytesToHex(key) };
      if (o.out) {
        writeFileSync(o.out, `${JSON.stringify(account, null, 2)}\n`, { mode: 0o600 });
        console.log(`address ${account.address}\nkey saved to ${o.out}`);
      } else console.log(JSON.stringify(account, null, 2));
    });
  keys
    .command("show")
    .description("show the address of a private key, a key file, or a mnemonic account")
    .option("--key <hex>", "a private key")
    .option("--file <file>", "a key file written by `zg keys new --out`")
    .option("--mnemonic <words>", "a BIP-39 mnemonic")
    .option("--index <n>", "account index for --mnemonic", intArg("--index", 0, 2 ** 31 - 1), 0)
    .option("--show-private-key", "also print the private key")
    .action((o: { key?: string; file?: string; mnemonic?: string; index: number; showPrivateKey?: boolean }) => {
      let key: Uint8Array;
      if (o.key) key = keyFromArg(o.key);
      else if (o.file) {
        const j = readJsonFile(o.file, "key file") as { privateKey?: unknown };
        if (typeof j.privateKey !== "string")
          throw new CliError({ code: CliErrorCode.BAD_ARGUMENT, detail: "file" }, `${o.file} has no privateKey field`);
        key = keyFromArg(j.privateKey);
      } else if (o.mnemonic) key = hexToBytes(deriveAccounts(o.mnemonic, 1, o.index)[0]!.privateKey);
      else throw new CliError({ code: CliErrorCode.BAD_ARGUMENT }, "give one of --key, --file or --mnemonic");
      const out: Record<string, string> = { address: toChecksumAddress(privateKeyToAddressBytes(key)) };
      if (o.showPrivateKey) out.privateKey = bytesToHex(key);
      console.log(JSON.stringify(out, null, 2));
    });
}
