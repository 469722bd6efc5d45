#!/usr/bin/env node
import { isZgError } from "@zerog/core";
import { buildProgram } from "../program.js";

try {
  await buildProgram().parseAsync(process.argv);
} catch (e) {
  // Expected failures (bad flags, bad files, a busy port) get one clear line and exit code 1.
  if (isZgError(e)) console.error(`error: ${e.message}`);
  else console.error(e instanceof Error ? `error: ${e.message}` : e);
  // Commands clean up what they started before throwing; exit even if a library left a handle open.
  process.exit(1);
}
