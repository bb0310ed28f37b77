/** Which installed client tools run: one folder, or the newest that fits among versions side by side. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chooseToolMajor, installedBinDir, pgProgram, toolsVary } from '../../src/infra/postgres/binaries';
import { dumpCompatibility, restoreToolProblem } from '../../src/infra/postgres/versions';
import { clusterFits } from '../../src/infra/postgres/instance';
import { toolVersion } from '../../src/infra/postgres/tool-version';
import { ConfigError } from '../../src/infra/errors/errors';

describe('chooseToolMajor', () => {
  const dumpsFor = (server: number) => (m: number) => dumpCompatibility(m, server).ok;
  it.each([
    // installed, server, chosen
    [[15], 15, 15],
    [[15, 16, 17, 18], 15, 16], // 17+ writes dumps a 15 server cannot load
    [[15, 16, 17, 18], 16, 16],
    [[15, 16, 17, 18], 17, 18],
    [[16, 18, 15], 15, 16],
    [[15, 18], 16, 18], // nothing fits: the newest, whose refusal says why
    [[], 15, undefined],
  ])('installed %j, server %i: pg_dump %s', (installed, server, chosen) =>
    expect(chooseToolMajor(installed, dumpsFor(server))).toBe(chosen),
  );
  it('restores with the newest pg_restore that reads the backup and loads into the server', () => {
    expect(chooseToolMajor([15, 16, 18], (m) => restoreToolProblem(m, 16, 15) === undefined)).toBe(16);
    expect(chooseToolMajor([15, 16, 18], (m) => restoreToolProblem(m, 15, 15) === undefined)).toBe(16);
    expect(chooseToolMajor([15, 16, 18], (m) => restoreToolProblem(m, 18, 18) === undefined)).toBe(18);
  });
});

describe('pgProgram', () => {
  const root = mkdtempSync(join(tmpdir(), 'pgwarden-versions-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  for (const major of [15, 16, 18]) {
    mkdirSync(join(root, String(major), 'bin'), { recursive: true });
    for (const p of ['pg_dump', 'pg_restore']) writeFileSync(join(root, String(major), 'bin', p), '');
  }

  it('runs PG_BIN_DIR as it is when it holds the program', () => {
    expect(pgProgram('pg_dump', join(root, '15', 'bin'), () => false)).toBe(join(root, '15', 'bin', 'pg_dump'));
    expect(toolsVary(join(root, '15', 'bin'))).toBe(false);
  });
  it('chooses among versions side by side when PG_BIN_DIR is a folder of them', () => {
    expect(toolsVary(root)).toBe(true);
    expect(pgProgram('pg_dump', root)).toBe(join(root, '18', 'bin', 'pg_dump'));
    expect(pgProgram('pg_dump', root, (m) => dumpCompatibility(m, 15).ok)).toBe(join(root, '16', 'bin', 'pg_dump'));
    expect(installedBinDir(16, root)).toBe(join(root, '16', 'bin'));
  });
  it('keeps a PG_BIN_DIR that is not there as it is: the check then names it', () => {
    expect(pgProgram('pg_dump', join(root, 'nope'))).toBe(join(root, 'nope', 'pg_dump'));
  });
});

describe('clusterFits', () => {
  it("runs a cluster under its own major version's programs (PG_VERSION), any before it exists", () => {
    const dir = mkdtempSync(join(tmpdir(), 'pgwarden-cluster-'));
    try {
      expect(clusterFits(dir)(18)).toBe(true);
      writeFileSync(join(dir, 'PG_VERSION'), '15\n');
      expect([15, 16, 18].map(clusterFits(dir))).toEqual([true, false, false]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('toolVersion', () => {
  it('reads the version line of a program that runs', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tool-version-'));
    try {
      const program = join(dir, 'pg_restore');
      writeFileSync(program, '#!/bin/sh\necho "pg_restore (PostgreSQL) 16.4"\n', { mode: 0o755 });
      await expect(toolVersion('pg_restore', program)).resolves.toBe('pg_restore (PostgreSQL) 16.4');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('calls a program that cannot run a configuration failure naming the fix', async () => {
    const failure = toolVersion('pg_receivewal', '/nonexistent/pg_receivewal');
    await expect(failure).rejects.toBeInstanceOf(ConfigError);
    await expect(failure).rejects.toThrow(
      /^pg_receivewal is not usable on this worker \(.+\); install the PostgreSQL client tools or set PG_BIN_DIR$/,
    );
  });
});
