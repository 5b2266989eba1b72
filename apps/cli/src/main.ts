#!/usr/bin/env node
// `netlab`: the umbrella command. On source: ./netlab … (the launcher at the repository root);
// built: apps/cli/dist/netlab.js, the `netlab` bin of @netlab/cli.
import { createRequire } from 'node:module';
import { formatVersion, runCli } from '@netlab/cli-kit';
import { createProgram } from './program.js';

// src/main.ts and dist/netlab.js both sit one level below the package root.
const { version } = createRequire(import.meta.url)('../package.json') as { version: string };

await runCli(createProgram(), { version: formatVersion('netlab', version) });
