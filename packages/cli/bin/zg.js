#!/usr/bin/env node
// Launcher committed to the repository so npm can link `zg` before the TypeScript is built.
import "../dist/bin/zg.js";
