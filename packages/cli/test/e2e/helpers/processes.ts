import { type ChildProcess, execFile, spawn } from "node:child_process";
import { appendFileSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeEach } from "vitest";

/**
 * Child processes of the e2e tests: every process and temp directory a test creates is tracked here,
 * so `useE2ECleanup()` can stop them after the file (even when a test failed or timed out), print the
 * tail of their logs when a test fails, and a dying test worker still SIGKILLs them on its way out.
 */

export const REPO_ROOT = fileURLToPath(new URL("../../../../../", import.meta.url));
/** The built `zg` binary (`npx tsc -b` builds it). */
export const ZG_BIN = join(REPO_ROOT, "packages/cli/dist/bin/zg.js");
/** Foundry's native `cast` (not the npm wrapper script, so a kill reaches the real process). */
export const CAST_BIN = join(REPO_ROOT, "node_modules/@foundry-rs/cast-linux-amd64/bin/cast");

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

const processes = new Set<TrackedProcess>();
/** Logs of the processes that ran during the current test, for the failure report. */
const logsOfTest = new Map<string, string>();
const tempDirs = new Set<string>();
/**
 * Pids not owned by a TrackedProcess (a supervisor's children, short-lived commands), with a string their
 * command line must contain: they are SIGKILLed at cleanup only if still alive and still that program,
 * so a recycled pid never hits an unrelated process.
 */
const foreignPids = new Map<number, string>();

/** A spawned process whose stdout and stderr go to a log file and can be awaited for a line. */
export class TrackedProcess {
  readonly name: string;
  readonly child: ChildProcess;
  readonly pid: number;
  readonly logFile: string;
  /** Resolves once the process has exited and its output is read (never rejects). */
  readonly exited: Promise<ExitInfo>;
  private exitInfo: ExitInfo | null = null;
  private output = "";
  private readonly waiters = new Set<() => void>();

  constructor(name: string, command: string, args: string[], opts: { logFile: string; cwd?: string; env?: NodeJS.ProcessEnv }) {
    this.name = name;
    this.logFile = opts.logFile;
    appendFileSync(this.logFile, `--- ${new Date().toISOString()} ${command} ${args.join(" ")}\n`);
    this.child = spawn(command, args, { cwd: opts.cwd ?? REPO_ROOT, env: opts.env ?? process.env, stdio: ["ignore", "pipe", "pipe"] });
    if (this.child.pid === undefined) throw new Error(`could not spawn ${command}`);
    this.pid = this.child.pid;
    const onData = (chunk: Buffer) => {
      const text = chunk.toString("utf8");
      appendFileSync(this.logFile, text);
      // Only the recent output is searched; a long-running node logs a lot.
      this.output = (this.output + text).slice(-256 * 1024);
      for (const w of this.waiters) w();
    };
    this.child.stdout!.on("data", onData);
    this.child.stderr!.on("data", onData);
    // "close", not "exit": by then all of the output has been read.
    this.exited = new Promise((resolve) => {
      this.child.once("close", (code, signal) => {
        this.exitInfo = { code, signal };
        processes.delete(this);
        for (const w of this.waiters) w();
        resolve(this.exitInfo);
      });
    });
    processes.add(this);
    logsOfTest.set(`${name} (pid ${this.pid})`, this.logFile);
  }

  get alive(): boolean {
    return this.exitInfo === null;
  }

  /** All output so far (the last 256 KiB). */
  get text(): string {
    return this.output;
  }

  /** Resolves with the match once the output matches `re`; rejects if the process exits first or time runs out. */
  waitForOutput(re: RegExp, timeoutMs = 30_000): Promise<RegExpMatchArray> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const m = this.output.match(re);
        if (m) return done(() => resolve(m));
        if (this.exitInfo) {
          const why = this.exitInfo.signal ?? `code ${this.exitInfo.code}`;
          return done(() => reject(new Error(`${this.name} exited (${why}) before printing ${re}:\n${this.tail(20)}`)));
        }
      };
      const timer = setTimeout(
        () => done(() => reject(new Error(`${this.name} did not print ${re} within ${timeoutMs} ms:\n${this.tail(20)}`))),
        timeoutMs,
      );
      const done = (settle: () => void) => {
        clearTimeout(timer);
        this.waiters.delete(check);
        settle();
      };
      this.waiters.add(check);
      check();
    });
  }

  /** Sends `signal` and resolves when the process has exited. */
  async kill(signal: NodeJS.Signals = "SIGTERM"): Promise<ExitInfo> {
    if (this.exitInfo) return this.exitInfo;
    this.child.kill(signal);
    return this.exited;
  }

  /** SIGTERM, then SIGKILL after `graceMs`; resolves with how it exited. */
  async stop(graceMs = 15_000): Promise<ExitInfo> {
    if (this.exitInfo) return this.exitInfo;
    this.child.kill("SIGTERM");
    const timer = setTimeout(() => this.child.kill("SIGKILL"), graceMs);
    const info = await this.exited;
    clearTimeout(timer);
    return info;
  }

  tail(lines: number): string {
    return tailOf(this.logFile, lines);
  }
}

export function spawnTracked(
  name: string,
  command: string,
  args: string[],
  opts: { logFile: string; cwd?: string; env?: NodeJS.ProcessEnv },
): TrackedProcess {
  return new TrackedProcess(name, command, args, opts);
}

/** Runs `node zg.js …` as a tracked process. */
export function spawnZg(name: string, args: string[], opts: { logFile: string; cwd?: string }): TrackedProcess {
  return spawnTracked(name, process.execPath, [ZG_BIN, ...args], opts);
}

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs a short-lived command to completion (killed after `timeoutMs`). Never rejects on a non-zero exit. */
export function run(command: string, args: string[], opts: { timeoutMs?: number; cwd?: string } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      command,
      args,
      {
        cwd: opts.cwd ?? REPO_ROOT,
        timeout: opts.timeoutMs ?? 60_000,
        killSignal: "SIGKILL",
        maxBuffer: 64 * 1024 * 1024,
        encoding: "utf8",
      },
      (err, stdout, stderr) => {
        const e = err as (NodeJS.ErrnoException & { code?: unknown; signal?: NodeJS.Signals | null; killed?: boolean }) | null;
        if (e && typeof e.code === "string") return reject(e); // could not start it at all (ENOENT, …)
        if (e?.killed) return reject(new Error(`${command} ${args.join(" ")} timed out:\n${stderr}`));
        resolve({ code: e ? ((e.code as number | undefined) ?? null) : 0, signal: e?.signal ?? null, stdout, stderr });
      },
    );
    // Bounded by the timeout; tracked only so a dying worker kills it too.
    const pid = child.pid;
    if (pid !== undefined) {
      foreignPids.set(pid, command);
      child.once("close", () => foreignPids.delete(pid));
    }
    child.stdin?.end();
  });
}

/** `zg <args>` to completion. */
export function runZg(args: string[], opts: { timeoutMs?: number; cwd?: string } = {}): Promise<RunResult> {
  return run(process.execPath, [ZG_BIN, ...args], opts);
}

/** Ports this test process has handed out already: two calls in one file never get overlapping ranges. */
const handedOut = new Set<number>();

/**
 * `count` consecutive free ports (for processes that take a base port and use the next ones), below Linux's
 * ephemeral range (32768–60999): a free port inside it can be taken by any outgoing connection (the devnet's own
 * readiness probes, peers dialling each other) between this check and the bind, which made a DA signer and a
 * validator's P2P listener fail with EADDRINUSE in CI. Parallel test files pick at random in 12,768 ports.
 */
export async function freePorts(count: number): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const base = 20_000 + Math.floor(Math.random() * (32_768 - 20_000 - count));
    const range = Array.from({ length: count }, (_, i) => base + i);
    if (range.some((p) => handedOut.has(p))) continue;
    const ok = await Promise.all(range.map(isPortFree));
    if (!ok.every(Boolean) || range.some((p) => handedOut.has(p))) continue;
    for (const p of range) handedOut.add(p);
    return base;
  }
  throw new Error(`no ${count} consecutive free ports found below 32768`);
}

/** One free TCP port on 127.0.0.1, below the ephemeral range (see `freePorts`). */
export function freePort(): Promise<number> {
  return freePorts(1);
}

function isPortFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.unref();
    srv.once("error", () => resolve(false));
    srv.listen(port, "127.0.0.1", () => srv.close(() => resolve(true)));
  });
}

/** A fresh temp directory, removed when the file's tests are done. */
export function makeTempDir(prefix = "zg-e2e-"): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  tempDirs.add(dir);
  return dir;
}

/** A process the test did not spawn but must not leave behind; `marker` is part of its command line. */
export function trackForeignPid(pid: number, marker = ZG_BIN): void {
  foreignPids.set(pid, marker);
}

export function untrackForeignPid(pid: number): void {
  foreignPids.delete(pid);
}

/** SIGKILLs `pid` if it is alive and its command line still contains `marker`. */
function killForeign(pid: number, marker: string): void {
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ");
    if (cmdline.includes(marker)) process.kill(pid, "SIGKILL");
  } catch {
    // gone, or not ours to judge
  }
}

export function isPidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

export function tailOf(file: string, lines: number): string {
  try {
    return readFileSync(file, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    return "(no log)";
  }
}

/** Stops every tracked process (SIGTERM, then SIGKILL) and removes the temp directories. */
export async function cleanupAll(): Promise<void> {
  await Promise.all([...processes].map((p) => p.stop(10_000)));
  for (const [pid, marker] of foreignPids) killForeign(pid, marker);
  foreignPids.clear();
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  tempDirs.clear();
}

function printTails(): void {
  for (const [name, logFile] of logsOfTest) {
    console.error(`\n----- last lines of ${name} (${logFile}) -----\n${tailOf(logFile, 40)}\n-----`);
  }
}

let exitHandlersInstalled = false;

/** Last resort when the worker dies: SIGKILL whatever is left. Synchronous, as `exit` handlers must be. */
function installExitHandlers(): void {
  if (exitHandlersInstalled) return;
  exitHandlersInstalled = true;
  const killAll = () => {
    for (const p of processes) p.child.kill("SIGKILL");
    for (const [pid, marker] of foreignPids) killForeign(pid, marker);
    for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  };
  process.once("exit", killAll);
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    const onSignal = () => {
      killAll();
      process.removeListener(signal, onSignal);
      process.kill(process.pid, signal);
    };
    process.once(signal, onSignal);
  }
}

/**
 * Call once at the top of a test file: stops the file's processes after its tests (and on worker
 * exit), and prints the log tails of the processes a failed test started.
 */
export function useE2ECleanup(): void {
  installExitHandlers();
  beforeEach(({ onTestFailed, task }) => {
    logsOfTest.clear();
    for (const p of processes) logsOfTest.set(`${p.name} (pid ${p.pid})`, p.logFile);
    // An `it.fails` test fails on purpose; its logs are noise.
    if (!task.fails) onTestFailed(() => printTails());
  });
  afterAll(async () => {
    await cleanupAll();
  }, 60_000);
}
