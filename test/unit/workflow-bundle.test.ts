/**
 * Workflow code runs in Temporal's deterministic sandbox: nothing under workflows/ may pull in
 * Node built-ins, pg or the AWS SDK, even through a shared module. Bundling fails on Node
 * built-ins; the module list below catches the rest. And the bundle made once at build time
 * is only ever the compiled code's.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { prebuiltWorkflowBundle, writeWorkflowBundle } from '../../src/app/worker/workflow-bundle';

it('bundles the workflows without I/O libraries', async () => {
  const noop = () => undefined;
  const { code } = await bundleWorkflowCode({
    workflowsPath: require.resolve('../../workflows'),
    logger: { log: noop, trace: noop, debug: noop, info: noop, warn: noop, error: noop },
  });
  const modules = [...code.matchAll(/node_modules\/((?:@[^/]+\/)?[^/]+)\//g)].map((m) => m[1]);
  expect(
    [...new Set(modules)].filter((m) =>
      /^(pg|pg-.*|@aws-sdk\/.*|@smithy\/.*|nodemailer|@slack\/.*|@temporalio\/(client|worker|activity))$/.test(m),
    ),
  ).toEqual([]);
  expect(code).toContain('BackupWorkflow');
  // Node's globals are not defined in the sandbox: a use fails only when that line runs, in a
  // workflow (restore point names were once measured with Buffer in an incident's Update validator).
  const ours = code.split(/^\/\*\*\*\/ "/m).filter((m) => /^\.\/(workflows|src)\//.test(m));
  expect(ours.length).toBeGreaterThan(20);
  const nodeGlobals = ours.flatMap((m) => {
    const source = m.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/[^\n]*/g, '');
    return [...source.matchAll(/\b(Buffer|process|setImmediate|__dirname|__filename|require\.resolve)\b/g)].map(
      (g) => `${m.slice(0, m.indexOf('"'))}: ${g[1]}`,
    );
  });
  expect(nodeGlobals).toEqual([]);
}, 60_000);

describe('the workflow bundle made at build time', () => {
  // A build folder of its own (inside the repository, where node_modules resolves): compiled
  // workflows that import a compiled module, as dist/ holds them.
  mkdirSync(join(__dirname, '..', '..', '.state', 'test'), { recursive: true });
  const root = mkdtempSync(join(__dirname, '..', '..', '.state', 'test', 'bundle-'));
  mkdirSync(join(root, 'workflows'));
  mkdirSync(join(root, 'src'));
  const module = (text: string) =>
    writeFileSync(join(root, 'src', 'greeting.js'), `exports.greeting = ${JSON.stringify(text)};\n`);
  writeFileSync(
    join(root, 'workflows', 'index.js'),
    `const { greeting } = require('../src/greeting');\nexports.HelloWorkflow = async () => greeting;\n`,
  );
  module('hello');
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('is used while the compiled code is the one it was made from, and never after that code changed', async () => {
    expect(prebuiltWorkflowBundle(root)).toEqual({ stale: 'no workflow bundle built yet' });
    expect(await writeWorkflowBundle(root)).toBe(true);
    const built = prebuiltWorkflowBundle(root);
    expect(built).toEqual({ codePath: join(root, 'workflow-bundle.js') });
    expect(readFileSync(join(root, 'workflow-bundle.js'), 'utf8')).toContain('"hello"');
    expect(await writeWorkflowBundle(root)).toBe(false); // current: nothing to do

    module('hello again'); // a module the workflows import changed, not the workflows themselves
    expect(prebuiltWorkflowBundle(root)).toEqual({ stale: 'the workflow bundle is older than the compiled code' });
    expect(await writeWorkflowBundle(root)).toBe(true);
    expect(readFileSync(join(root, 'workflow-bundle.js'), 'utf8')).toContain('"hello again"');
    expect(prebuiltWorkflowBundle(root)).toEqual({ codePath: join(root, 'workflow-bundle.js') });
  }, 60_000);
});
