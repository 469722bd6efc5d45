import { type ChildProcess, spawn } from "node:child_process";
import { closeSync, openSync, readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";

export interface ProcessSpec {
  name: string;
  args: string[];
  logFile: string;
  /** HTTP JSON-RPC URL that answers once the process is ready. */
  readyUrl: string;
  /** The method that must answer there (default `eth_chainId`). */
  readyMethod?: string;
  /** Probe with a plain `GET readyUrl + readyPath` instead of JSON-RPC (HTTP APIs such as the DA nodes'). */
  readyPath?: string;
  /** With `readyPath`: the statuses that mean ready (default 200). */
  readyStatus?: number[];
  /** V8 flags (default `NODE_RUNTIME_FLAGS`). */
  nodeFlags?: string[];
}

export interface RunningProcess {
  spec: ProcessSpec;
  child: ChildProcess;
}

/** The `zg` entry point of this installation, so children run the same code. */
export const ZG_BIN = fileURLToPath(new URL("../bin/zg.js", import.meta.url));

/**
 * V8 flags for node processes. A 128 MiB young generation (default 16 MiB) cuts scavenges during
 * block execution: ERC-20 blocks ran 2,613–2,705 tx/s against 1,762–2,448 with the default, three
 * alternating runs each (`packages/bench/README.md`).
 */
export const NODE_RUNTIME_FLAGS = ["--max-semi-space-size=128"];

/**
 * V8 flags for chain nodes when `processes` of them execute every block on this machine. Once they
 * outnumber the cores, GC helper threads only compete with the other nodes: one GC thread per
 * process and a 64 MiB young generation took 4 validators on 2 cores from 1,187–1,217 to
 * 1,052–1,117 µs of CPU per transfer (1,604–1,632 → 1,738–1,845 tx/s; alternating runs in
 * `packages/bench/README.md`).
 */
export function chainNodeRuntimeFlags(processes: number): string[] {
  return processes > availableParallelism() ? ["--max-semi-space-size=64", "--single-threaded-gc"] : NODE_RUNTIME_FLAGS;
}

export function spawnNode(spec: ProcessSpec): RunningProcess {
  const fd = openSync(spec.logFile, "a");
  const child = spawn(process.execPath, [...(spec.nodeFlags ?? NODE_RUNTIME_FLAGS), ZG_BIN, ...spec.args], {
    stdio: ["ignore", fd, fd],
    detached: false,
  });
  closeSync(fd);
  return { spec, child };
}

/** Resolves when the process answers its ready method; rejects if it exits or the time runs out. */
export async function waitReady(p: RunningProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exited: string | null = null;
  p.child.once("exit", (code, signal) => {
    exited = `exited with ${signal ?? `code ${code}`}`;
  });
  while (Date.now() < deadline) {
    if (exited) throw new Error(`${p.spec.name} ${exited}:\n${tail(p.spec.logFile, 20)}`);
    try {
      if (await probe(p.spec)) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${p.spec.name} did not answer on ${p.spec.readyUrl} within ${timeoutMs} ms:\n${tail(p.spec.logFile, 20)}`);
}

async function probe(spec: ProcessSpec): Promise<boolean> {
  if (spec.readyPath !== undefined) {
    const res = await fetch(`${spec.readyUrl}${spec.readyPath}`, { signal: AbortSignal.timeout(1000) });
    await res.body?.cancel();
    return (spec.readyStatus ?? [200]).includes(res.status);
  }
  const res = await fetch(spec.readyUrl, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: spec.readyMethod ?? "eth_chainId", params: [] }),
    signal: AbortSignal.timeout(1000),
  });
  await res.body?.cancel();
  return res.ok;
}

/** SIGTERM, then SIGKILL after `graceMs`. */
export async function stopProcess(p: RunningProcess, graceMs = 10_000): Promise<void> {
  if (p.child.exitCode !== null || p.child.signalCode !== null) return;
  const exited = new Promise<void>((r) => p.child.once("exit", () => r()));
  p.child.kill("SIGTERM");
  const timer = setTimeout(() => p.child.kill("SIGKILL"), graceMs);
  await exited;
  clearTimeout(timer);
}

export function tail(file: string, lines: number): string {
  try {
    return readFileSync(file, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    return "(no log)";
  }
}
