#!/usr/bin/env node
import { runCli } from '@netlab/cli-kit';
import { createProgram } from './program.js';

await runCli(createProgram());
