/** A source read through transforms; errors reach the last stream, which its reader sees. */
import { Duplex, pipeline as streamPipeline, Readable } from 'node:stream';

export function chain(source: Readable, transforms: readonly Duplex[]): Readable {
  return transforms.length ? (streamPipeline([source, ...transforms], () => undefined) as unknown as Readable) : source;
}
