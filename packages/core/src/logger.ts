import { pino } from "pino";

export type Logger = pino.Logger;
export type LogLevel = "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent";

export interface LoggerOptions {
  level: LogLevel;
  /** Write JSON lines to this file instead of stdout. */
  file?: string;
  /** Base fields on every line (node name, role). */
  base?: Record<string, unknown>;
}

export const defaultLoggerOptions: LoggerOptions = { level: "info" };

export function createLogger(opts: Partial<LoggerOptions> = {}): Logger {
  const o = { ...defaultLoggerOptions, ...opts };
  const destination = o.file ? pino.destination({ dest: o.file, mkdir: true, sync: false }) : pino.destination(1);
  return pino({ level: o.level, base: o.base ?? null, timestamp: pino.stdTimeFunctions.isoTime }, destination);
}

/** A logger that drops everything (tests, libraries used without a node). */
export function createSilentLogger(): Logger {
  return pino({ level: "silent" });
}
