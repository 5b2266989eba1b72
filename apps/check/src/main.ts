#!/usr/bin/env node
// Runs `netlab check` on its own: node --import tsx apps/check/src/main.ts echo --server-cmd "…"
import { runCli } from '@netlab/cli-kit';
import { createCommand } from './command.js';

await runCli(createCommand());
