import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { tryAcquirePidLock } from "../../src/pidLock.js";

describe("tryAcquirePidLock", () => {
  const dir = mkdtempSync(join(tmpdir(), "zg-lock-"));

  it("creates the lock with our pid, and takes it again when it is already ours", () => {
    const file = join(dir, "a.lock");
    expect(tryAcquirePidLock(file)).toBeNull();
    expect(readFileSync(file, "utf8")).toBe(String(process.pid));
    expect(tryAcquirePidLock(file)).toBeNull();
  });

  it("names the live process holding it and leaves its lock alone", () => {
    const file = join(dir, "b.lock");
    writeFileSync(file, String(process.ppid));
    expect(tryAcquirePidLock(file)).toBe(process.ppid);
    expect(readFileSync(file, "utf8")).toBe(String(process.ppid));
  });

  it("takes over a lock left by a process that is gone, or one that holds no pid", () => {
    for (const stale of ["2147483646", "garbage", ""]) {
      const file = join(dir, `c${stale}.lock`);
      writeFileSync(file, stale);
      expect(tryAcquirePidLock(file)).toBeNull();
      expect(readFileSync(file, "utf8")).toBe(String(process.pid));
    }
  });
});
