/**
 * The worker's heap tuning, run in a fresh Node as the worker runs it: V8 accepts the flag
 * (an unknown flag is only printed as "unrecognized flag", never thrown, so the test reads
 * stderr), and the flag is V8's heap growth knob.
 */
import { transformFileSync } from '@swc/core';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HEAP_GROWING_PERCENT } from '../../src/app/worker/heap-tuning';

it("sets a heap growth that this Node's V8 accepts", () => {
  // The module's own source, compiled, in a process of its own (V8 flags are per process).
  const module = join(mkdtempSync(join(tmpdir(), 'pgwarden-heap-')), 'heap-tuning.js');
  writeFileSync(
    module,
    transformFileSync(join(__dirname, '..', '..', 'src', 'app', 'worker', 'heap-tuning.ts'), { module: { type: 'commonjs' } })
      .code,
  );
  const res = spawnSync(process.execPath, ['-e', `require(${JSON.stringify(module)}).tuneHeapForStreaming()`], {
    encoding: 'utf8',
  });
  expect(res.status).toBe(0);
  expect(res.stderr).not.toMatch(/unrecognized flag|unknown flag/i);
  expect(HEAP_GROWING_PERCENT).toBe(100);
  const options = spawnSync(process.execPath, ['--v8-options'], { encoding: 'utf8' }).stdout;
  expect(options).toMatch(/^\s*--heap-growing-percent \(/m);
});
