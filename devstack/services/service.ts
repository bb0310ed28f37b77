/** One server of the local stack: how to prepare, start, probe and stop it. */
import { join } from 'node:path';
import { logsDir } from '../paths';
import { StackPorts, StackState } from '../state';

export interface Service {
  name: string;
  /** Ports the service listens on, re-allocated if taken while it was down. */
  ports: Array<keyof StackPorts>;
  /** One-time work before a start: install a binary, create a data directory. Idempotent. */
  prepare?(state: StackState, log: (line: string) => void): Promise<void>;
  /** Starts the process detached; returns its pid. */
  start(state: StackState): number;
  /** True once the service answers real requests. */
  ready(state: StackState): Promise<boolean>;
  /** Extra set-up once ready (a bucket, a database). Idempotent. */
  afterReady?(state: StackState): Promise<void>;
  stopSignal?: NodeJS.Signals;
  startTimeoutMs: number;
  /** Connection facts for the summary `scripts/stack status` prints. */
  describe(state: StackState): string;
}

export const logFileOf = (name: string) => join(logsDir, `${name}.log`);
