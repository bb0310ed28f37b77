/**
 * Activity dependencies on the real bucket whose reads of one object (or of those `key` picks) wait until `open`
 * settles (and fail if it rejects): an attempt the server gave up on, held while its retry
 * runs, or a retry held until such an attempt is over.
 */
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { createActivityDeps, type ActivityDeps } from '../../activities/deps';
import type { Config } from '../../src/infra/config/config';

export function depsHoldingReads(
  config: Config,
  key: string | ((key: string) => boolean),
  open: () => Promise<unknown>,
): ActivityDeps {
  const held = typeof key === 'string' ? (k: string) => k === key : key;
  const deps = createActivityDeps(config);
  const send = deps.bucket.s3.send.bind(deps.bucket.s3) as (command: unknown) => Promise<unknown>;
  deps.bucket.s3.send = (async (command: unknown) => {
    if (command instanceof GetObjectCommand && held(command.input.Key ?? '')) await open();
    return send(command);
  }) as typeof deps.bucket.s3.send;
  return deps;
}
