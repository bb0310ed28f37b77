/**
 * Connections to Temporal, configured the way the `temporal` CLI is (TEMPORAL_ADDRESS,
 * TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TEMPORAL_TLS_*, TEMPORAL_PROFILE and the
 * temporal.toml profile file), via @temporalio/envconfig, so one setting serves both.
 */
import { Client, Connection } from '@temporalio/client';
import { loadClientConnectConfig } from '@temporalio/envconfig';
import { NativeConnection } from '@temporalio/worker';
import { Env } from '../config/env-file';
import { ConfigError, TemporalUnavailableError } from '../errors/errors';

export interface TemporalTarget {
  address: string;
  namespace: string;
  options: ReturnType<typeof loadClientConnectConfig>['connectionOptions'];
}

export function temporalTarget(env: Env): TemporalTarget {
  const vars = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined)) as Record<string, string>;
  let loaded;
  try {
    loaded = loadClientConnectConfig({ overrideEnvVars: vars });
  } catch (err) {
    throw new ConfigError([`TEMPORAL_*: ${(err as Error).message}`]);
  }
  const address = loaded.connectionOptions.address ?? 'localhost:7233';
  return { address, namespace: loaded.namespace ?? 'default', options: { ...loaded.connectionOptions, address } };
}

function unavailable(target: TemporalTarget, err: unknown): TemporalUnavailableError {
  return new TemporalUnavailableError(
    `cannot reach Temporal at ${target.address} (namespace ${target.namespace}): ${(err as Error).message.split('\n')[0]}; ` +
      'start it (npm run stack -- up for the local one) or set TEMPORAL_ADDRESS',
  );
}

/**
 * `identity`: who the runs this client starts and the Updates it sends are from, as each
 * history's events record it (the audit trail); default the SDK's `pid@host`.
 */
/** `connectTimeout`: shorter where Temporal is optional (a read that shows the configuration without it). */
export async function connectClient(target: TemporalTarget, identity?: string, connectTimeout = '10s'): Promise<Client> {
  try {
    const connection = await Connection.connect({ ...target.options, connectTimeout } as Parameters<
      typeof Connection.connect
    >[0]);
    return new Client({ connection, namespace: target.namespace, ...(identity ? { identity } : {}) });
  } catch (err) {
    throw unavailable(target, err);
  }
}

export async function connectWorker(target: TemporalTarget): Promise<NativeConnection> {
  try {
    return await NativeConnection.connect(target.options);
  } catch (err) {
    throw unavailable(target, err);
  }
}
