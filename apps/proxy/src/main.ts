#!/usr/bin/env node
// Runs `netlab proxy` on its own: node --import tsx apps/proxy/src/main.ts --protocol tcp ...
import { runCli } from '@netlab/cli-kit';
import { createCommand } from './command.js';

await runCli(createCommand());
