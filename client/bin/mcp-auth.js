#!/usr/bin/env node
// The CLI is TypeScript run through tsx (the project has no build step).
import { register } from 'tsx/esm/api';

register();
const { run } = await import('../src/cli.ts');
await run();
