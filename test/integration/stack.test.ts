/**
 * The stack script itself: a second, independent stack in a temporary state folder must pick
 * ports that do not clash with the running one, treat a second `up` as a no-op, and leave no
 * process behind after `down`.
 */
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../../devstack/paths';
import { isPortFree } from '../../src/infra/net/ports';
import { isAlive } from '../../devstack/processes';
import type { StackState } from '../../devstack/state';
import { stackEnv } from '../support/stack-env';

const dir = mkdtempSync(join(tmpdir(), 'pgwarden-stack-test-'));
chmodSync(dir, 0o755); // the postgres server user must reach its data folder

function stack(command: string) {
  const res = spawnSync(process.execPath, [join(repoRoot, 'dist', 'devstack', 'main.js'), command], {
    env: { ...process.env, PGWARDEN_STACK_DIR: dir },
    encoding: 'utf8',
    timeout: 180_000,
  });
  return { code: res.status, out: res.stdout + res.stderr };
}

function stackInBackground(command: string): Promise<{ code: number | null; out: string }> {
  const child = spawn(process.execPath, [join(repoRoot, 'dist', 'devstack', 'main.js'), command], {
    env: { ...process.env, PGWARDEN_STACK_DIR: dir },
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  // 'exit', not 'close': the services it starts may hold inherited pipes open.
  return new Promise((resolve) => child.once('exit', (code) => setTimeout(() => resolve({ code, out }), 100)));
}

afterAll(() => {
  stack('down');
  rmSync(dir, { recursive: true, force: true });
});

describe('scripts/stack', () => {
  it('starts a second stack beside the first, idempotently, and stops it completely', async () => {
    const running = stackInBackground('up');
    // Another program takes PostgreSQL's port after the stack chose it and before the server
    // binds it (initdb runs in between): the stack starts it again on another port.
    const stateFile = join(dir, 'stack.json');
    const deadline = Date.now() + 60_000;
    while (!existsSync(stateFile) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    const chosen = (JSON.parse(readFileSync(stateFile, 'utf8')) as StackState).ports.postgres;
    const squatter = createServer((c) => c.destroy()); // it holds the port, and serves nobody
    await new Promise<void>((resolve) => squatter.listen(chosen, '127.0.0.1', resolve));
    const first = await running;
    await new Promise((r) => squatter.close(r));
    expect(first).toMatchObject({ code: 0 });
    expect(first.out).toMatch(/started postgres, postgres18, s3, sinks, temporal/);
    expect(first.out).toContain('postgres: a port was taken before it could bind it; starting again on');
    expect((JSON.parse(readFileSync(stateFile, 'utf8')) as StackState).ports.postgres).not.toBe(chosen);
    const state = JSON.parse(readFileSync(join(dir, 'stack.json'), 'utf8')) as StackState;
    // No clash with the stack the test run uses.
    const mainPorts = new Set(
      Object.values(stackEnv())
        .flatMap((v) => (v ?? '').match(/127\.0\.0\.1:(\d+)/)?.slice(1) ?? [])
        .map(Number),
    );
    for (const port of Object.values(state.ports)) expect(mainPorts.has(port)).toBe(false);

    const second = stack('up');
    expect(second.code).toBe(0);
    expect(second.out).toContain('already running; nothing to do');
    const again = JSON.parse(readFileSync(join(dir, 'stack.json'), 'utf8')) as StackState;
    expect(again.pids).toEqual(state.pids);

    const status = stack('status');
    expect(status.code).toBe(0);
    expect(status.out.match(/healthy/g)).toHaveLength(5);

    expect(stack('down').code).toBe(0);
    for (const pid of Object.values(state.pids)) expect(isAlive(pid)).toBe(false);
    for (const port of Object.values(state.ports)) expect(await isPortFree(port)).toBe(true);
    expect(stack('status').code).toBe(3);
  });
});
