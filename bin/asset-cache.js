#!/usr/bin/env node
// Entry point installed as `asset-cache`: runs the compiled CLI (built by `npm install` via `prepare`).
import '../dist/main.js'
