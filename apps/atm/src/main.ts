#!/usr/bin/env node
// Runs `netlab atm` on its own: node --import tsx apps/atm/src/main.ts server --port 0
import { runCli } from '@netlab/cli-kit';
import { createCommand } from './command.js';

await runCli(createCommand());
