/** Compression choices and the filter streams, run through the real zstd and lz4 programs. */
import { preflightReport } from '../support/preflight-report';
import { randomBytes } from 'node:crypto';
import { execFileSync, spawnSync } from 'node:child_process';
import { Duplex, Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { pipeline as streamPipeline } from 'node:stream';
import { runToCompletion } from '../../src/infra/process/spawn-stream';
import {
  compressCommand,
  compressedByPgDump,
  compressionSuffix,
  CompressionAlgorithm,
  pgDumpCompressArg,
  streamCompression,
} from '../../src/infra/compression/compression';
import { compressor, decompressor } from '../../src/infra/compression/streams';
import { formatPreflight } from '../../src/app/cli/commands/check';
import { FilterProcess } from '../../src/infra/process/filter-process';
import { decompressInto } from '../../src/infra/compression/decompress-into';
import { createWriteStream, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const text = Buffer.from(
  Array.from({ length: 20000 }, (_, i) => `order ${i}, customer ${i % 97}, {"total": ${i * 3}}\n`).join(''),
);

describe('where compression happens', () => {
  it.each([
    // format, algorithm, pg_dump major (undefined: unknown), inside pg_dump, undone after decryption, pg_dump's --compress
    ['custom', 'gzip', 15, true, 'none', '--compress=1'],
    ['custom', 'zstd', 15, false, 'zstd', '--compress=0'],
    ['custom', 'lz4', 15, false, 'lz4', '--compress=0'],
    ['custom', 'none', 15, false, 'none', '--compress=0'],
    ['custom', 'zstd', undefined, false, 'zstd', '--compress=0'],
    ['custom', 'gzip', 16, true, 'none', '--compress=1'],
    ['custom', 'zstd', 16, true, 'none', '--compress=zstd:1'],
    ['custom', 'lz4', 18, true, 'none', '--compress=lz4:1'],
    ['custom', 'none', 18, false, 'none', '--compress=0'],
    ['plain', 'gzip', 15, false, 'gzip', undefined],
    ['plain', 'lz4', 15, false, 'lz4', undefined],
    ['plain', 'zstd', 18, false, 'zstd', undefined],
  ] as const)(
    '%s + %s, pg_dump %s: inside pg_dump %s, undone after decryption: %s',
    (format, algorithm, major, inside, stream, arg) => {
      expect(compressedByPgDump(format, { algorithm, level: 1 }, major)).toBe(inside);
      expect(streamCompression(format, { algorithm, level: 1 }, major)).toBe(stream);
      if (arg) expect(pgDumpCompressArg({ algorithm, level: 1 }, major)).toBe(arg);
    },
  );
  it('names files by what must be undone', () => {
    expect((['zstd', 'gzip', 'lz4', 'none'] as const).map(compressionSuffix)).toEqual(['.zst', '.gz', '.lz4', '']);
  });
  it('runs zstd on two threads at the asked level', () => {
    expect(compressCommand({ algorithm: 'zstd', level: 3 })).toEqual({ program: 'zstd', args: ['-q', '-c', '-T2', '-3'] });
  });
});

/** Bytes through a chain of streams, the way backups and restores run them (pipeline). */
async function through(input: Buffer, chain: Duplex[]): Promise<Buffer> {
  const chunks: Buffer[] = [];
  const sink = new Writable({ write: (c: Buffer, _e, done) => (chunks.push(c), done()) });
  await pipeline([Readable.from([input]), ...chain, sink]);
  return Buffer.concat(chunks);
}

describe('compression streams', () => {
  it.each(['zstd', 'lz4', 'gzip', 'none'] as CompressionAlgorithm[])(
    '%s: round trip, and zstd/lz4 actually compress',
    async (algorithm) => {
      const packed = await through(text, compressor({ algorithm, level: 1 }));
      if (algorithm !== 'none') expect(packed.length).toBeLessThan(text.length / 2);
      expect((await through(packed, decompressor(algorithm))).equals(text)).toBe(true);
    },
  );

  it('fails a corrupt zstd stream instead of ending it short', async () => {
    const packed = await through(text, compressor({ algorithm: 'zstd', level: 1 }));
    const err = await through(packed.subarray(0, Math.floor(packed.length / 2)), decompressor('zstd')).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(/^zstd failed \(exit 1\)/);
  });

  it('says how to install a missing program', async () => {
    const err = await through(randomBytes(10), [new FilterProcess({ program: 'no-such-zstd', args: [] })]).catch((e: Error) => e);
    expect((err as Error).message).toMatch(/no-such-zstd could not run .*: install it \(Debian: apt-get install no-such-zstd\)/);
  });
});

describe('a filter program', () => {
  /** The zstd processes this test process has started and that still run. */
  const ourZstd = () => {
    const out = execFileSync('ps', ['--ppid', String(process.pid), '-o', 'comm='], { encoding: 'utf8' });
    return out.split('\n').filter((c) => c.trim() === 'zstd').length;
  };

  it('starts no program until it is used, so a pipeline that never ran leaves none waiting on its stdin', async () => {
    const before = ourZstd();
    const unused = Array.from({ length: 5 }, () => decompressor('zstd')[0]);
    await new Promise((r) => setTimeout(r, 200));
    expect(ourZstd()).toBe(before);
    for (const f of unused) f.destroy();
    // Used, then ended: the program runs and is gone afterwards.
    const chunks: Buffer[] = [];
    await pipeline([
      Readable.from([Buffer.from('hello')]),
      ...compressor({ algorithm: 'zstd', level: 1 }),
      ...decompressor('zstd'),
      new Writable({ write: (c: Buffer, _e, done) => (chunks.push(c), done()) }),
    ]);
    expect(Buffer.concat(chunks).toString()).toBe('hello');
    expect(ourZstd()).toBe(before);
  });
});

describe('a program fed through a filter', () => {
  const ourZstd = () =>
    execFileSync('ps', ['--ppid', String(process.pid), '-o', 'comm='], { encoding: 'utf8' })
      .split('\n')
      .filter((c) => c.trim() === 'zstd').length;

  // Without the fix a zstd stays on the pipe: stopped here, so the run fails on the assertion instead of hanging.
  afterAll(() => {
    spawnSync('pkill', ['-KILL', '-P', String(process.pid), 'zstd']); // exits 1 when there is none
  });

  it('stops the filter when the program exits before reading everything, leaving no process on the pipe', async () => {
    const before = ourZstd();
    // An input that never ends (a download that stalls), through zstd, into a program that reads nothing.
    const endless = new Readable({ read() {} });
    const input = streamPipeline([endless, ...decompressor('zstd')], () => undefined) as unknown as Readable;
    input.resume(); // starts the filter, as a reader would
    await new Promise((r) => setTimeout(r, 200));
    expect(ourZstd()).toBe(before + 1);
    await runToCompletion('true', [], process.env, { stdin: input });
    await new Promise((r) => setTimeout(r, 300));
    expect(ourZstd()).toBe(before);
  });
});

describe('a program that stops reading its input early', () => {
  // 4 MiB whose check fails only at its end, as a damaged last chunk or a wrong digest would.
  const input = () => {
    const chunks = Array.from({ length: 64 }, () => Buffer.alloc(64 * 1024, 7));
    return Readable.from(
      (async function* () {
        yield* chunks;
        throw new Error('the input failed at its end');
      })(),
    );
  };

  it('fails the run when asked to read everything and the rest of the input fails', async () => {
    await expect(runToCompletion('head', ['-c', '10'], process.env, { stdin: input(), readAll: true })).rejects.toThrow(
      'the input failed at its end',
    );
  });

  it('succeeds on the complete rest of the input', async () => {
    const whole = Readable.from(Array.from({ length: 64 }, () => Buffer.alloc(64 * 1024, 7)));
    await runToCompletion('head', ['-c', '10'], process.env, { stdin: whole, readAll: true });
    expect(whole.readableEnded).toBe(true);
  });

  it('without readAll, stops at the program exit and does not wait for the rest', async () => {
    await expect(runToCompletion('head', ['-c', '10'], process.env, { stdin: input() })).resolves.toBeUndefined();
  });
});

describe('decompressing straight into a file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pgwarden-unpack-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const file = (name: string) => join(dir, name);

  it.each(['zstd', 'lz4', 'gzip', 'none'] as CompressionAlgorithm[])(
    '%s: the file holds exactly the original',
    async (algorithm) => {
      const packed = await through(text, compressor({ algorithm, level: 1 }));
      await decompressInto(Readable.from([packed]), algorithm, createWriteStream(file(algorithm), { mode: 0o600 }));
      expect(readFileSync(file(algorithm)).equals(text)).toBe(true);
      expect(statSync(file(algorithm)).mode & 0o777).toBe(0o600);
    },
  );

  it('fails a corrupt zstd stream with the decompressor', async () => {
    const packed = await through(text, compressor({ algorithm: 'zstd', level: 1 }));
    const half = Readable.from([packed.subarray(0, Math.floor(packed.length / 2))]);
    await expect(decompressInto(half, 'zstd', createWriteStream(file('half')))).rejects.toThrow(/^zstd failed \(exit 1\)/);
  });

  it("fails with the source's own error (a damaged object), and leaves no decompressor running", async () => {
    const packed = await through(text, compressor({ algorithm: 'zstd', level: 1 }));
    const failing = Readable.from(
      (async function* () {
        yield packed.subarray(0, 100);
        await new Promise((r) => setTimeout(r, 100));
        throw new Error('data object does not match its manifest');
      })(),
    );
    await expect(decompressInto(failing, 'zstd', createWriteStream(file('damaged')))).rejects.toThrow(
      'data object does not match its manifest',
    );
    await new Promise((r) => setTimeout(r, 300));
    const zstds = execFileSync('ps', ['--ppid', String(process.pid), '-o', 'comm='], { encoding: 'utf8' })
      .split('\n')
      .filter((c) => c.trim() === 'zstd');
    expect(zstds).toEqual([]);
  });
});

describe('pgwarden check says where compression runs', () => {
  const report = (compression?: { algorithm: string; level: number; insidePgDump: boolean }) =>
    formatPreflight(
      preflightReport({
        serverVersion: '18.1',
        serverMajor: 18,
        pgDump: { path: '/usr/bin/pg_dump', version: 'pg_dump (PostgreSQL) 18.1', major: 18 },
        ...(compression ? { compression } : {}),
      }),
    )
      .split('\n')
      .find((l) => l.startsWith('compress'));
  it.each([
    [{ algorithm: 'zstd', level: 1, insidePgDump: true }, 'compress   zstd level 1, inside pg_dump'],
    [{ algorithm: 'zstd', level: 3, insidePgDump: false }, 'compress   zstd level 3, after pg_dump'],
    [{ algorithm: 'none', level: 0, insidePgDump: false }, 'compress   none'],
    [undefined, undefined], // a report from a worker older than the line
  ])('%j: %s', (compression, line) => expect(report(compression)).toBe(line));
});
