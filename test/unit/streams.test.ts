/** Stream pieces of the backup pipeline, on their own. */
import { Readable } from 'node:stream';
import { Coalesce } from '../../src/infra/streams/coalesce';

/** The pieces Coalesce emits, one 'data' event each (async iteration would merge them). */
function through(chunks: Buffer[], size: number): Promise<Buffer[]> {
  const out: Buffer[] = [];
  const coalesce = Readable.from(chunks).pipe(new Coalesce(size));
  coalesce.on('data', (piece: Buffer) => out.push(piece));
  return new Promise((resolve, reject) => coalesce.on('end', () => resolve(out)).on('error', reject));
}

describe('Coalesce', () => {
  it('joins small chunks into pieces of at least the size, bytes and order unchanged', async () => {
    const chunks = Array.from({ length: 10 }, (_, i) => Buffer.alloc(3, i));
    const out = await through(chunks, 8);
    expect(out.map((b) => b.length)).toEqual([9, 9, 9, 3]);
    expect(Buffer.concat(out)).toEqual(Buffer.concat(chunks));
  });

  it('passes a chunk already as large as the size on as it is, and sends a short tail at the end', async () => {
    const big = Buffer.alloc(20, 7);
    const out = await through([big, Buffer.from('ab')], 16);
    expect(out[0]).toBe(big);
    expect(out.map((b) => b.toString('latin1'))).toEqual([big.toString('latin1'), 'ab']);
  });

  it('sends nothing for an empty stream', async () => {
    expect(await through([], 16)).toEqual([]);
  });
});
