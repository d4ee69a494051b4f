#!/usr/bin/env node
// Stable entry for package managers to link before the build exists (as @clt/cli's bin/clt.js); the runner lives in dist/.
import '../dist/bin.js';
