/**
 * The built CLI, asynchronously, against the local stack's env file: the workers a workflow
 * test runs in its own process must keep working while the CLI waits for them.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { envFile, repoRoot } from '../../devstack/paths';

export const bin = join(repoRoot, 'bin', 'pgwarden');

export function pgwarden(
  env: Record<string, string>,
  ...args: string[]
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, ...args], { env: { PATH: process.env.PATH, PGWARDEN_CONFIG: envFile, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
