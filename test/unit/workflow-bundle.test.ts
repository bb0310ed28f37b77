/**
 * Workflow code runs in Temporal's deterministic sandbox: nothing under workflows/ may pull in
 * Node built-ins, pg or the AWS SDK, even through a shared module. Bundling fails on Node
 * built-ins; the module list below catches the rest.
 */
import { bundleWorkflowCode } from '@temporalio/worker';

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
}, 60_000);
