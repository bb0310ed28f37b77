/** Settings that point pgwarden at the running local stack, for integration and workflow tests. */
import { existsSync } from 'node:fs';
import { Config, loadConfig, WORKER_NEEDS } from '../../src/infra/config/config';
import { Env, readEnvFile } from '../../src/infra/config/env-file';
import { envFile } from '../../devstack/paths';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

export function stackEnv(overrides: Env = {}): Env {
  if (!existsSync(envFile)) throw new Error(`${envFile} is missing: the local stack is not up (scripts/stack up)`);
  const env: Env = { ...readEnvFile(envFile), ...overrides };
  for (const [k, v] of Object.entries(overrides)) if (v === undefined) delete env[k];
  return env;
}

export function stackConfig(overrides: Env = {}): Config {
  return loadConfig(stackEnv(overrides), { require: WORKER_NEEDS });
}
