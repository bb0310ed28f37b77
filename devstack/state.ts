/**
 * The stack's persistent state: ports and credentials chosen on the first `up` and kept, so
 * URLs and data survive restarts; and the pids of what is running.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { stateDir, stateFile } from './paths';
import { ephemeralPort } from '../src/infra/net/ports';
import { allocatePort } from './ports';

export interface StackPorts {
  postgres: number;
  /** PostgreSQL 18, for tests of newer servers and tools. */
  postgres18: number;
  temporal: number;
  temporalUi: number;
  temporalHttp: number;
  temporalMetrics: number;
  s3: number;
  s3Grpc: number;
  seaweedMaster: number;
  seaweedMasterGrpc: number;
  seaweedVolume: number;
  seaweedVolumeGrpc: number;
  seaweedFiler: number;
  seaweedFilerGrpc: number;
  seaweedAdmin: number;
  seaweedAdminGrpc: number;
  seaweedIceberg: number;
  seaweedLance: number;
  smtp: number;
  sinksHttp: number;
  /** The quick start's worker serves Prometheus metrics here. */
  workerMetrics: number;
}

export interface StackState {
  ports: StackPorts;
  credentials: {
    postgresPassword: string;
    s3AccessKey: string;
    s3SecretKey: string;
    smtpUser: string;
    smtpPassword: string;
    encryptionKey: string;
  };
  /** Where the PostgreSQL cluster lives (inside stateDir unless the server user cannot reach it). */
  postgresDir?: string;
  postgres18Dir?: string;
  pids: Partial<Record<string, number>>;
}

/** Preferred ports, away from the usual defaults so a real Temporal/PostgreSQL/MinIO is not hit. */
const PREFERRED: StackPorts = {
  postgres: 15432,
  postgres18: 15418,
  temporal: 17233,
  temporalUi: 18233,
  temporalHttp: 17243,
  temporalMetrics: 17253,
  s3: 18333,
  s3Grpc: 28333,
  seaweedMaster: 19333,
  seaweedMasterGrpc: 29333,
  seaweedVolume: 18080,
  seaweedVolumeGrpc: 28080,
  seaweedFiler: 18888,
  seaweedFilerGrpc: 28888,
  seaweedAdmin: 13646,
  seaweedAdminGrpc: 23646,
  seaweedIceberg: 18181,
  seaweedLance: 19101,
  smtp: 12525,
  sinksHttp: 18025,
  workerMetrics: 19464,
};

const token = (bytes: number) => randomBytes(bytes).toString('hex');

export function loadState(): StackState | undefined {
  return existsSync(stateFile) ? (JSON.parse(readFileSync(stateFile, 'utf8')) as StackState) : undefined;
}

export function saveState(state: StackState): void {
  mkdirSync(stateDir, { recursive: true });
  writeFileSync(`${stateFile}.tmp`, JSON.stringify(state, null, 2) + '\n', { mode: 0o600 });
  renameSync(`${stateFile}.tmp`, stateFile);
}

export async function createState(): Promise<StackState> {
  const taken = new Set<number>();
  const ports = {} as StackPorts;
  for (const [name, preferred] of Object.entries(PREFERRED) as Array<[keyof StackPorts, number]>) {
    ports[name] = await allocatePort(preferred, taken);
  }
  return {
    ports,
    credentials: {
      postgresPassword: token(16),
      s3AccessKey: 'pgwarden' + token(6),
      s3SecretKey: token(20),
      smtpUser: 'pgwarden',
      smtpPassword: token(12),
      encryptionKey: token(32),
    },
    pids: {},
  };
}

/** Gives a stack made before a service existed a port for it. */
export async function addMissingPorts(state: StackState): Promise<void> {
  const taken = new Set(Object.values(state.ports));
  for (const [name, preferred] of Object.entries(PREFERRED) as Array<[keyof StackPorts, number]>) {
    if (state.ports[name] === undefined) state.ports[name] = await allocatePort(preferred, taken);
  }
}

/**
 * Re-checks ports of services that are not running: something else may have taken one since
 * the last run. A port still owned by our own running process is kept.
 */
export async function refreshPorts(state: StackState, stopped: Array<keyof StackPorts>): Promise<boolean> {
  const taken = new Set(Object.values(state.ports));
  let changed = false;
  for (const name of stopped) {
    taken.delete(state.ports[name]);
    const port = await allocatePort(state.ports[name], taken);
    if (port !== state.ports[name]) {
      state.ports[name] = port;
      changed = true;
    }
  }
  return changed;
}

/** Gives these services' ports new free ones (another program took one between picking and binding). */
export async function movePorts(state: StackState, names: Array<keyof StackPorts>): Promise<void> {
  const taken = new Set(Object.values(state.ports));
  for (const name of names) state.ports[name] = await allocatePort(await ephemeralPort(), taken);
}
