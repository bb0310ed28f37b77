/**
 * The workflow code bundled once, when pgwarden is built, instead of at every worker start:
 * bundling (webpack) at start took about 2 s and 100 MiB of the worker's peak memory. Beside
 * the bundle goes a stamp of the compiled code it was made from; a worker runs the bundle only
 * while that code is unchanged, and otherwise bundles at start as before and says why. Running
 * workflow code other than the compiled one would break the replay of running workflows.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';

/** dist/, when this runs compiled (dist/src/app/worker/). */
const buildRoot = join(__dirname, '..', '..', '..');
const bundleFile = (root: string) => join(root, 'workflow-bundle.js');
const stampFile = (root: string) => join(root, 'workflow-bundle.stamp');
/** The compiled workflows' entry the bundle is made from. */
export const workflowsEntry = (root = buildRoot) => join(root, 'workflows', 'index.js');

function jsFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.js'))
    .map((e) => join(e.parentPath, e.name))
    .sort();
}

/** What the bundle is made of: the compiled workflows and modules, and the workflow SDK's version. */
export function compiledCodeStamp(root = buildRoot): string {
  const hash = createHash('sha256');
  for (const file of [...jsFiles(join(root, 'workflows')), ...jsFiles(join(root, 'src'))]) {
    hash.update(`${relative(root, file)}\0`);
    hash.update(readFileSync(file));
  }
  const sdk = join(dirname(require.resolve('@temporalio/workflow')), '..', 'package.json');
  hash.update(`@temporalio/workflow@${(JSON.parse(readFileSync(sdk, 'utf8')) as { version: string }).version}`);
  return hash.digest('hex');
}

/** The bundle for Worker.create when it matches the compiled code; otherwise why not. */
export function prebuiltWorkflowBundle(root = buildRoot): { codePath: string } | { stale: string } {
  if (!existsSync(bundleFile(root)) || !existsSync(stampFile(root))) return { stale: 'no workflow bundle built yet' };
  if (readFileSync(stampFile(root), 'utf8').trim() !== compiledCodeStamp(root))
    return { stale: 'the workflow bundle is older than the compiled code' };
  return { codePath: bundleFile(root) };
}

/** Bundles the compiled workflows unless the bundle is current; true when it wrote one. */
export async function writeWorkflowBundle(root = buildRoot): Promise<boolean> {
  if ('codePath' in prebuiltWorkflowBundle(root)) return false;
  const stamp = compiledCodeStamp(root);
  // Loaded here only: the worker that uses a built bundle never loads webpack.
  const { bundleWorkflowCode } = await import('@temporalio/worker');
  const quiet = () => undefined;
  const { code } = await bundleWorkflowCode({
    workflowsPath: workflowsEntry(root),
    logger: { log: quiet, trace: quiet, debug: quiet, info: quiet, warn: quiet, error: (m) => process.stderr.write(`${m}\n`) },
  });
  writeFileSync(bundleFile(root), code);
  writeFileSync(stampFile(root), `${stamp}\n`);
  return true;
}
