import { readFileSync } from "node:fs";
import { ZgError } from "@zerog/core";

export enum CliErrorCode {
  BAD_CONFIG = "CLI_BAD_CONFIG",
  BAD_ARGUMENT = "CLI_BAD_ARGUMENT",
  DEVNET_FAILED = "CLI_DEVNET_FAILED",
}

export class CliError extends ZgError<{ code: CliErrorCode; detail?: string }> {}

type Json = Record<string, unknown>;

/** `{"rpc.port": 9}` → `{rpc: {port: 9}}`: flags are dotted paths into the nested options. */
export function dottedToNested(flat: Record<string, unknown>): Json {
  const out: Json = {};
  for (const [key, value] of Object.entries(flat)) {
    if (value === undefined) continue;
    const parts = key.split(".");
    let cur = out;
    for (const part of parts.slice(0, -1)) {
      if (typeof cur[part] !== "object" || cur[part] === null) cur[part] = {};
      cur = cur[part] as Json;
    }
    cur[parts[parts.length - 1]!] = value;
  }
  return out;
}

/** Deep merge, later sources winning; arrays and non-objects replace. */
export function mergeOptions<T>(...sources: unknown[]): T {
  const out: Json = {};
  for (const src of sources) {
    if (typeof src !== "object" || src === null) continue;
    for (const [k, v] of Object.entries(src as Json)) {
      if (v === undefined) continue;
      const prev = out[k];
      out[k] = isPlainObject(v) && isPlainObject(prev) ? mergeOptions(prev, v) : isPlainObject(v) ? mergeOptions(v) : v;
    }
  }
  return out as T;
}

function isPlainObject(v: unknown): v is Json {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array);
}

export function readJsonFile(path: string, what: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw new CliError({ code: CliErrorCode.BAD_CONFIG, detail: path }, `cannot read ${what} ${path}: ${(e as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new CliError({ code: CliErrorCode.BAD_CONFIG, detail: path }, `${what} ${path} is not valid JSON: ${(e as Error).message}`);
  }
}

/** Parses an integer flag, with a message naming the flag. */
export function intArg(name: string, min = 0, max = Number.MAX_SAFE_INTEGER): (v: string) => number {
  return (v: string) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min || n > max) {
      throw new CliError(
        { code: CliErrorCode.BAD_ARGUMENT, detail: name },
        `${name} must be an integer between ${min} and ${max}, got "${v}"`,
      );
    }
    return n;
  };
}
