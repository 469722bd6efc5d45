#!/usr/bin/env -S node --max-semi-space-size=128
// Launcher committed to the repository so npm can link `zg` before the TypeScript is built.
import "../dist/bin/zg.js";
