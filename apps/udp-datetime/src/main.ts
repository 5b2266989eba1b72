#!/usr/bin/env node
// Runs `netlab udp-datetime` on its own: node --conditions=@netlab/source --import tsx apps/udp-datetime/src/main.ts server --port 0
import { runCli } from '@netlab/cli-kit';
import { createCommand } from './command.js';

await runCli(createCommand());
