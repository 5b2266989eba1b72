#!/usr/bin/env node
// Runs `netlab text-case` on its own: node --conditions=@netlab/source --import tsx apps/text-case/src/main.ts server --port 0
import { runCli } from '@netlab/cli-kit';
import { createCommand } from './command.js';

await runCli(createCommand());
