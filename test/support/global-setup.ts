/**
 * Starts the local stack once per jest run (reusing one that is already running) and bundles
 * the workflow code once for every test worker. Jest may call this once per project; a
 * reference count keeps the work to one.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { up } from '../../devstack/stack';
import { CHROMIUM } from '../../devstack/services/browser';
import { PGBOUNCER } from '../../devstack/services/pgbouncer';
import { aptInstall } from '../../devstack/services/apt';
import { bundlePath, sharedState } from './run-state';

export default async function globalSetup(): Promise<void> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  const shared = sharedState();
  shared.refs += 1;
  if (shared.refs > 1) return;
  shared.since = new Date(Date.now() - 1000);
  const { started } = await up((line) => process.stderr.write(`stack: ${line}\n`));
  shared.started = started;
  const log = (line: string) => process.stderr.write(`stack: ${line}\n`);
  // The console's browser test, and the tests through a connection pool: one apt-get run for both.
  const missing = [
    [CHROMIUM, 'chromium'],
    [PGBOUNCER, 'pgbouncer'],
  ].filter(([path]) => !existsSync(path));
  if (missing.length)
    aptInstall(
      missing.map(([, pkg]) => pkg),
      log,
    );
  const { code } = await bundleWorkflowCode({ workflowsPath: require.resolve('../../workflows'), logger: quietLogger });
  mkdirSync(dirname(bundlePath), { recursive: true });
  writeFileSync(bundlePath, code);
}

const noop = () => undefined;
const quietLogger = {
  log: noop,
  trace: noop,
  debug: noop,
  info: noop,
  warn: noop,
  error: (m: string) => process.stderr.write(`${m}\n`),
};
