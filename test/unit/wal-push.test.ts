/** What `pgwarden wal push` does with each file PostgreSQL's archiver hands it. */
import { walPushPlan } from '../../src/operations/pitr/wal-push';

const MiB = 1024 * 1024;

it.each([
  ['000000010000000000000003', 16 * MiB, { kind: 'segment', segmentBytes: 16 * MiB }],
  ['000000010000000000000003', 1 * MiB, { kind: 'segment', segmentBytes: 1 * MiB }],
  ['000000010000000100000000', 1024 * MiB, { kind: 'segment', segmentBytes: 1024 * MiB }],
  ['00000002.history', 42, { kind: 'history' }],
  ['000000010000000000000003.00000028.backup', 300, { kind: 'skip', why: expect.stringMatching(/^a backup history file/) }],
  ['000000010000000000000003.partial', 16 * MiB, { kind: 'skip', why: expect.stringMatching(/after a promotion/) }],
  // Not whole segments: a size that is no wal_segment_size, or a name past the segments a log id holds at that size.
  ['000000010000000000000003', 16 * MiB - 1, { kind: 'refuse', why: expect.stringContaining('is not a whole WAL segment') }],
  ['000000010000000000000003', 512 * 1024, { kind: 'refuse', why: expect.stringContaining('is not a whole WAL segment') }],
  ['000000010000000000000003', 2048 * MiB, { kind: 'refuse', why: expect.stringContaining('is not a whole WAL segment') }],
  ['000000010000000000000100', 16 * MiB, { kind: 'refuse', why: expect.stringContaining('is not a whole WAL segment') }],
  ['pg_wal/000000010000000000000003', 16 * MiB, { kind: 'refuse', why: expect.stringContaining('not a WAL file') }],
  ['00000001000000000000000g', 16 * MiB, { kind: 'refuse', why: expect.stringContaining('not a WAL file') }],
  ['backup_label', 200, { kind: 'refuse', why: 'backup_label: not a WAL file (archive_command passes %p)' }],
])('%s of %d bytes', (name, bytes, plan) => {
  expect(walPushPlan(name, bytes)).toEqual(plan);
});
