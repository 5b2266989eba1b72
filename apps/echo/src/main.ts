#!/usr/bin/env node
// Runs `netlab echo` on its own: node --conditions=@netlab/source --import tsx apps/echo/src/main.ts server --port 0
import { runCli } from '@netlab/cli-kit';
import { createCommand } from './command.js';

await runCli(createCommand());
