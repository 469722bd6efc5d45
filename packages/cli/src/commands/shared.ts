import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { isHex } from "@zerog/core";
import type { Hex } from "viem";
import { CliError, CliErrorCode, readJsonFile } from "../config.js";
import type { DevnetManifest } from "../devnet/manifest.js";

/** The devnet manifest under `<datadir>/devnet/devnet.json`, if a devnet is running there. */
export function readRunningManifest(datadir: string): DevnetManifest | null {
  const path = join(resolve(datadir), "devnet", "devnet.json");
  if (!existsSync(path)) return null;
  const m = readJsonFile(path, "devnet manifest") as DevnetManifest;
  return m.status === "running" ? m : null;
}

/** Starts a node and stops it on SIGINT/SIGTERM, flushing the log before the process exits. */
export async function runUntilSignal(start: () => Promise<void>, stop: () => Promise<void>, logger: { flush(): void }): Promise<void> {
  let stopping = false;
  const shutdown = async (code: number) => {
    if (stopping) return;
    stopping = true;
    try {
      await stop();
    } finally {
      logger.flush();
      process.exit(code);
    }
  };
  process.once("SIGINT", () => void shutdown(0));
  process.once("SIGTERM", () => void shutdown(0));
  await start();
}

/** A node's key file: `{"privateKey": "0x…"}` plus, where `extra` names them, more 32-byte hex keys. */
export function readKeyFile<K extends string = never>(
  path: string | undefined,
  extra: readonly K[] = [],
): { privateKey: Hex } & Record<K, Hex> {
  const shape = ['"privateKey": "0x…"', ...extra.map((k) => `"${k}": "0x…"`)].join(", ");
  if (!path) throw badArg("key-file", `--key-file is required: a JSON file {${shape}}`);
  const k = readJsonFile(path, "key file") as Record<string, unknown>;
  const hex32 = (v: unknown) => typeof v === "string" && isHex(v) && v.length === 66;
  for (const name of ["privateKey", ...extra]) {
    if (!hex32(k[name])) throw badArg("key-file", `${path}: ${name} must be 32 bytes of 0x-hex`);
  }
  return k as { privateKey: Hex } & Record<K, Hex>;
}

/** A whole number of ZG as wei. */
export function wholeZG(v: string, name: string): bigint {
  if (!/^[0-9]+$/.test(v)) throw badArg(name, `${name} must be a whole number of ZG, got "${v}"`);
  return BigInt(v) * 10n ** 18n;
}

/** Prints `json` (bigints as decimal strings) with `--json`, else `text`. */
export function print(f: { json?: boolean }, json: unknown, text: string): void {
  console.log(f.json ? JSON.stringify(json, (_, v) => (typeof v === "bigint" ? v.toString() : v)) : text);
}

export function badArg(detail: string, message: string): CliError {
  return new CliError({ code: CliErrorCode.BAD_ARGUMENT, detail }, message);
}
