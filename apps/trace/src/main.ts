#!/usr/bin/env node
// Runs `netlab trace` on its own: node --import tsx apps/trace/src/main.ts stats run.jsonl
import { runCli } from '@netlab/cli-kit';
import { createCommand } from './command.js';

await runCli(createCommand());
