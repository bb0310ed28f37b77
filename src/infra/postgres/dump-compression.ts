/**
 * Whether a PostgreSQL build compresses with an algorithm inside its archives. PostgreSQL 16+
 * may be built without zstd or lz4 (configure without them, as the pgserver wheels are):
 * - such a pg_dump refuses `--compress=zstd:1` before it connects ("this build does not support
 *   compression with ZSTD"), and every backup failed at its start where preflight said OK. A
 *   backup then compresses its stream after pg_dump, as with one older than 16;
 * - such a pg_restore cannot read what a pg_dump with zstd wrote inside: 18 refuses after the
 *   download, 16 warns "no data will be available" and loads no rows. It is asked through its
 *   sibling pg_dump (one build, one configure) before the download.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { CompressionAlgorithm, CompressionPolicy, compressedByPgDump, pgDumpCompressArg } from '../compression/compression';
import { runCommand } from '../process/run-command';

/** Per pg_dump path and algorithm: a build does not change while the worker runs. */
const builtWith = new Map<string, boolean>();

/** Asks the pg_dump at `path` to compress with `algorithm` towards a socket that does not exist: refused, or it tries to connect. */
async function compressesWith(path: string, compressArg: string): Promise<boolean> {
  const key = `${path} ${compressArg}`;
  const known = builtWith.get(key);
  if (known !== undefined) return known;
  const said = await runCommand(
    path,
    ['--format=custom', '--schema-only', compressArg, '--dbname=host=/nonexistent/pgwarden-probe port=1 connect_timeout=1'],
    { env: { PATH: process.env.PATH }, timeoutMs: 10_000 },
  ).then(
    (r) => r.stderr,
    (err: { stderr?: string; message?: string }) => err.stderr ?? err.message ?? '',
  );
  const answer = !/does not support compression/i.test(said);
  builtWith.set(key, answer);
  return answer;
}

/**
 * The pg_dump major as compressedByPgDump, pgDumpCompressArg and the storage layout take it:
 * the real one, or undefined (compress after pg_dump) for a build without the algorithm.
 */
export async function compressionMajor(
  path: string,
  major: number | undefined,
  c: CompressionPolicy,
): Promise<number | undefined> {
  if (major === undefined || c.algorithm === 'gzip' || !compressedByPgDump('custom', c, major)) return major;
  return (await compressesWith(path, pgDumpCompressArg(c, major))) ? major : undefined;
}

/**
 * Whether the build of the pg_restore at `path` reads archives compressed inside with
 * `algorithm`; true when that cannot be told (no sibling pg_dump), so only a known lack refuses.
 */
export async function restoreReads(pgRestore: string, algorithm: CompressionAlgorithm): Promise<boolean> {
  if (algorithm !== 'zstd' && algorithm !== 'lz4') return true;
  const compress = `--compress=${algorithm}:1`;
  if (!pgRestore.includes('/')) return compressesWith('pg_dump', compress); // both from PATH
  const pgDump = join(dirname(pgRestore), 'pg_dump');
  return existsSync(pgDump) ? compressesWith(pgDump, compress) : true;
}
