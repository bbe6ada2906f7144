#!/usr/bin/env node
// The installed `portcullis` command. A committed file (not dist/bin.js itself), so that
// `pnpm install` in the workspace can link the bin before anything is built.
await import('../dist/bin.js');
