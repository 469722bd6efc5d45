import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

// `@zerog/sdk` must load in a browser: no node: modules, and of our packages only @zerog/core/merkle at runtime
// (@zerog/core's root and @zerog/contracts load lmdb and native secp256k1). Type-only imports are erased.
const ALLOWED = [/^viem(\/actions)?$/, /^@zerog\/core\/merkle$/, /^\.\.?\//];
const dir = join(import.meta.dirname, "../../src/storage");

describe("browser safety", () => {
  for (const file of readdirSync(dir).filter((f) => f.endsWith(".ts"))) {
    it(`${file} imports only browser-safe modules at runtime`, () => {
      const text = readFileSync(join(dir, file), "utf8");
      const runtime = [...text.matchAll(/^(?:import|export)\s+(?!type\b)[^;]*?from\s+"([^"]+)"/gms)].map((m) => m[1]!);
      for (const spec of runtime)
        expect(
          ALLOWED.some((re) => re.test(spec)),
          `${file} imports ${spec}`,
        ).toBe(true);
    });
  }
});
