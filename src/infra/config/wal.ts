/**
 * Continuous WAL archiving (point-in-time recovery): which servers, and how closely.
 *
 * - `WAL_ARCHIVE=shop,billing`: archive the WAL of the server each named database is on; the
 *   server is known by that id in S3 keys (`<prefix>/<id>/wal/`), workflow ids and the CLI.
 * - `WAL_PARTIAL_UPLOAD_SECONDS`: how often the segment being written is shipped as it stands.
 * - `WAL_SYNCHRONOUS`: pg_receivewal --synchronous (flush and report every write), for a
 *   synchronous_standby_names quorum that makes commits wait for the archiver.
 */
import { EnvReader } from './env-reader';

export interface WalSettings {
  /** Database ids whose servers are archived. */
  servers: string[];
  partialUploadSeconds: number;
  synchronous: boolean;
}

export function readWal(r: EnvReader, databaseIds: string[]): WalSettings {
  const servers = r.list('WAL_ARCHIVE');
  for (const id of servers)
    if (!databaseIds.includes(id))
      r.problem(
        'WAL_ARCHIVE',
        `"${id}" is not a configured database (${databaseIds.join(', ') || 'none'}); name a database on each server to archive`,
      );
  return {
    servers,
    partialUploadSeconds: r.integer('WAL_PARTIAL_UPLOAD_SECONDS', 5, { min: 1, max: 3600 }),
    synchronous: r.boolean('WAL_SYNCHRONOUS', false),
  };
}
