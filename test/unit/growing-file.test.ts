import { randomBytes } from 'node:crypto';
import { appendFileSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readGrowingFile } from '../../src/infra/streams/growing-file';
import { canPunchHoles, punchHole } from '../../src/infra/streams/punch-hole';

let dir: string;
beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'pgwarden-growing-'))));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const collect = async (stream: NodeJS.ReadableStream) => {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
};
const tick = () => new Promise<void>((resolve) => setTimeout(resolve, 5));

describe('a file read while another writer still writes it', () => {
  it('gives every byte written, to the last one written before it was closed', async () => {
    const file = join(dir, '16384.tar');
    writeFileSync(file, '');
    const pieces = Array.from({ length: 40 }, (_, i) => randomBytes(1000 + i * 997));
    let closed = false;
    const writer = (async () => {
      for (const piece of pieces) {
        appendFileSync(file, piece);
        await tick();
      }
      closed = true;
    })();
    const read = collect(readGrowingFile(file, { closed: () => closed, more: tick, chunkBytes: 4096 }));
    await writer;
    expect((await read).equals(Buffer.concat(pieces))).toBe(true);
  });

  it('does not end at a pause in the writing, only once closed', async () => {
    const file = join(dir, 'base.tar');
    writeFileSync(file, 'first ');
    let closed = false;
    let waits = 0;
    const read = collect(
      readGrowingFile(file, {
        closed: () => closed,
        more: async () => {
          // The writer pauses for a while, then writes the rest and closes.
          if (++waits === 20) {
            appendFileSync(file, 'and last');
            closed = true;
          }
          await tick();
        },
      }),
    );
    expect((await read).toString()).toBe('first and last');
    expect(waits).toBeGreaterThanOrEqual(20);
  });

  it('gives what it read back to the disk as it goes, keeping the file size', async () => {
    if (!(await canPunchHoles(dir))) throw new Error(`${dir} cannot punch holes: this test needs ext4, xfs, btrfs or tmpfs`);
    const file = join(dir, '16385.tar');
    const data = randomBytes(8 * 1024 * 1024);
    writeFileSync(file, data);
    const released: number[] = [];
    const read = await collect(
      readGrowingFile(file, {
        closed: () => true,
        more: tick,
        releaseEvery: 2 * 1024 * 1024,
        release: async (upTo) => {
          released.push(upTo);
          await punchHole(file, upTo);
        },
      }),
    );
    expect(read.equals(data)).toBe(true);
    expect(released.at(-1)).toBe(data.length);
    expect(released.length).toBeGreaterThanOrEqual(4);
    const after = statSync(file);
    expect(after.size).toBe(data.length);
    expect(after.blocks * 512).toBeLessThan(64 * 1024);
  });
});
