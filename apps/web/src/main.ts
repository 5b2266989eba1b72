#!/usr/bin/env node
// Runs `netlab web` on its own: node --conditions=@netlab/source --import tsx apps/web/src/main.ts
import { runCli } from '@netlab/cli-kit';
import { createCommand } from './command.js';

await runCli(createCommand());
