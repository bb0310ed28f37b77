/**
 * Reads an env file (KEY=value lines, # comments, optional quotes) with Node's own parser,
 * and layers it under the process environment: a variable set in the environment wins,
 * as with docker compose and systemd's EnvironmentFile.
 */
import { readFileSync } from 'node:fs';
import { parseEnv } from 'node:util';
import { ConfigError } from '../errors/errors';

export type Env = Record<string, string | undefined>;

export function readEnvFile(path: string): Record<string, string> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : (err as Error).message;
    throw new ConfigError([`env file ${path}: ${reason}; pass an existing file with --config or PGWARDEN_CONFIG`]);
  }
  return parseEnv(text) as Record<string, string>;
}

/** The environment pgwarden reads: the env file (if any) filled in under the real environment. */
export function environmentWithFile(env: Env, envFile: string | undefined): Env {
  const file = envFile ?? env.PGWARDEN_CONFIG;
  if (!file) return { ...env };
  return { ...readEnvFile(file), ...definedOnly(env) };
}

function definedOnly(env: Env): Env {
  return Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
}
