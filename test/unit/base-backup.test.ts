import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { baseBackupIdFor, walPoint } from '../../src/operations/pitr/base-backup';
import { WalRangeSniffer } from '../../src/operations/pitr/wal-range-sniffer';

const SEG = 16 * 1024 * 1024;
const manifest = Buffer.from(
  '{ "PostgreSQL-Backup-Manifest-Version": 1,\n"Files": [\n{ "Path": "PG_VERSION", "Size": 3 }\n],\n' +
    '"WAL-Ranges": [\n{ "Timeline": 1, "Start-LSN": "0/6000028", "End-LSN": "0/6000100" }\n],\n"Manifest-Checksum": "abc"}\n',
);

async function sniff(chunks: Buffer[]): Promise<WalRangeSniffer> {
  const sniffer = new WalRangeSniffer();
  await pipeline(
    Readable.from(chunks),
    sniffer,
    new Writable({
      write(_c, _e, done) {
        done();
      },
    }),
  );
  return sniffer;
}

describe('WalRangeSniffer', () => {
  const stream = Buffer.concat([Buffer.alloc(300_000, 1), manifest, Buffer.alloc(1024)]);
  it.each([
    ['in one chunk', [stream]],
    ['split inside the marker', [stream.subarray(0, 300_005), stream.subarray(300_005)]],
    ['split inside the range', [stream.subarray(0, 300_150), stream.subarray(300_150)]],
    ['in many small chunks', Array.from({ length: Math.ceil(stream.length / 7) }, (_, i) => stream.subarray(i * 7, i * 7 + 7))],
  ])('finds the WAL range %s', async (_how, chunks) => {
    const s = await sniff(chunks);
    expect(s.points(SEG)).toEqual({
      start: { lsn: '0/6000028', timeline: 1, walFile: '000000010000000000000006' },
      stop: { lsn: '0/6000100', timeline: 1, walFile: '000000010000000000000006' },
    });
  });

  it('says so when the stream held no manifest', async () => {
    const s = await sniff([Buffer.alloc(1000)]);
    expect(() => s.points(SEG)).toThrow('the base backup stream held no backup_manifest with a WAL range');
  });
});

it('names base backups by their start time', () => {
  expect(baseBackupIdFor(new Date('2026-11-29T18:05:07.123Z'))).toBe('base_20261129_180507');
  expect(walPoint('16/B374D848', 2, SEG)).toEqual({ lsn: '16/B374D848', timeline: 2, walFile: '0000000200000016000000B3' });
});
