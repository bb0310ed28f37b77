/** A preflight report as a worker returns it, for tests of what `pgwarden check` prints: PostgreSQL 15, no channel, unless given. */
import type { PreflightReport } from '../../activities';

export function preflightReport(over: Partial<PreflightReport> = {}): PreflightReport {
  return {
    database: 'shop',
    host: 'db:5432',
    serverVersion: '15.8',
    serverMajor: 15,
    pgDump: { path: '/usr/bin/pg_dump', version: 'pg_dump (PostgreSQL) 15.8', major: 15 },
    storage: { bucket: 'b', prefix: 'p', writable: true },
    encryption: { algorithm: 'AES-256-GCM', keyId: 'k' },
    notifications: { email: false, slack: false },
    checkedAt: '2026-12-05T00:00:00.000Z',
    ...over,
  } as PreflightReport;
}
