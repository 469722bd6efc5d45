import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { bytesToHex, sha256 } from "@zerog/core";
import { createModel, type IntModel } from "./model.js";
import { bad } from "./weightsFile.js";

/** `packages/compute/models/manifest.json`: the weights files this repository ships, with their hashes. */
export interface RuntimeManifest {
  default: string;
  models: Record<string, ManifestEntry>;
}

export interface ManifestEntry {
  /** Relative to the manifest. */
  file: string;
  sha256: string;
  bytes: number;
  [key: string]: unknown;
}

/** The models directory of this package (the same relative path from `src/runtime` and `dist/runtime`). */
export const DEFAULT_MODELS_DIR = fileURLToPath(new URL("../../models/", import.meta.url));

/**
 * The model in `bytes`, refused (COMPUTE_BAD_WEIGHTS) unless its sha256 is `expectedSha256` (hex) and the file is
 * well formed to its last byte.
 */
export function createModelFromBytes(bytes: Uint8Array, expectedSha256: string): IntModel {
  const actual = bytesToHex(sha256(bytes)).slice(2);
  if (actual !== expectedSha256.toLowerCase().replace(/^0x/, "")) bad(`sha256 ${actual} is not the expected ${expectedSha256}`);
  return createModel(new Uint8Array(bytes), actual);
}

export function readManifest(dir = DEFAULT_MODELS_DIR): RuntimeManifest {
  let manifest: RuntimeManifest;
  try {
    manifest = JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8")) as RuntimeManifest;
  } catch (e) {
    return bad(`cannot read ${join(dir, "manifest.json")}: ${(e as Error).message}`);
  }
  if (typeof manifest?.models !== "object" || manifest.models === null) bad("the manifest lists no models");
  return manifest;
}

/** Reads a model the manifest lists (its default when `name` is not given), checking size and sha256. */
export function loadModel(options: { dir?: string; name?: string } = {}): IntModel {
  const dir = options.dir ?? DEFAULT_MODELS_DIR;
  const manifest = readManifest(dir);
  const name = options.name ?? manifest.default;
  const entry = manifest.models[name];
  if (entry === undefined || typeof entry.file !== "string" || typeof entry.sha256 !== "string")
    return bad(`the manifest has no model "${name}"`);
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(join(dir, entry.file));
  } catch (e) {
    return bad(`cannot read ${join(dir, entry.file)}: ${(e as Error).message}`);
  }
  if (bytes.length !== entry.bytes) bad(`${entry.file} is ${bytes.length} bytes, the manifest says ${entry.bytes}`);
  return createModelFromBytes(bytes, entry.sha256);
}
