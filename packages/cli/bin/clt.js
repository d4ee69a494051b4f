#!/usr/bin/env node
// Stable entry for package managers to link before the build exists; the CLI lives in dist/.
import '../dist/bin.js';
