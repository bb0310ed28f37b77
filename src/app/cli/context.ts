/**
 * What every command starts from: the environment (with the env file layered in), the
 * validated configuration, and, when needed, a Temporal client.
 */
import type { Client } from '@temporalio/client';
import { Config, loadConfig, RequiredPart } from '../../infra/config/config';
import { Env, environmentWithFile } from '../../infra/config/env-file';
import { UsageError } from '../../infra/errors/errors';
import { cliIdentity } from './identity';

export interface GlobalOptions {
  config?: string;
}

export class CommandContext {
  readonly env: Env;
  constructor(options: GlobalOptions, baseEnv: Env = process.env) {
    this.env = environmentWithFile(baseEnv, options.config);
  }

  config(require: RequiredPart[] = []): Config {
    return loadConfig(this.env, { require });
  }

  async temporalClient(connectTimeout?: string): Promise<Client> {
    const { connectClient, temporalTarget } = await import('../../infra/temporal/client'); // only commands that need it load the SDK
    return connectClient(temporalTarget(this.env), cliIdentity(this.env), connectTimeout);
  }

  /** Runs `fn` with a Temporal client and closes its connection afterwards, whatever happens. */
  async withTemporalClient<T>(fn: (client: Client) => Promise<T>, o: { connectTimeout?: string } = {}): Promise<T> {
    const client = await this.temporalClient(o.connectTimeout);
    try {
      return await fn(client);
    } finally {
      await client.connection.close();
    }
  }

  /** The `--database` given, or the only configured one. */
  pickDatabase(config: Config, given: string | undefined): string {
    if (given) {
      if (config.databases.length > 0 && !config.databases.some((d) => d.id === given)) {
        throw new UsageError(
          `--database ${given}: not configured; configured databases: ${config.databases.map((d) => d.id).join(', ')}`,
        );
      }
      return given;
    }
    if (config.databases.length === 1) return config.databases[0].id;
    if (config.databases.length === 0) throw new UsageError('no database given; pass --database NAME (or set DATABASE_URL)');
    throw new UsageError(
      `several databases are configured (${config.databases.map((d) => d.id).join(', ')}); pass --database NAME`,
    );
  }
}
