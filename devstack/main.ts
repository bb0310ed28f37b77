/**
 * `scripts/stack up|down|status|env|logs`: the local stack by hand. Exit status 0 on
 * success, 1 with the failing service and its log tail on failure.
 */
import { readFileSync } from 'node:fs';
import { envFile, logsDir } from './paths';
import { logFileOf } from './services/service';
import { tail } from './processes';
import { seedSampleData } from './seed';
import { down, SERVICES, status, up } from './stack';
import { loadState } from './state';

// The pinned AWS SDK supports Node 20; its notice about future releases is not actionable here.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const log = (line: string) => process.stderr.write(`stack: ${line}\n`);

async function main(argv: string[]): Promise<number> {
  const [command = 'status', arg] = argv;
  switch (command) {
    case 'up': {
      const t0 = Date.now();
      const { started } = await up(log);
      log(
        started.length
          ? `started ${started.join(', ')} in ${((Date.now() - t0) / 1000).toFixed(1)}s`
          : 'already running; nothing to do',
      );
      await printStatus();
      process.stdout.write(`settings for pgwarden: ${envFile}\n`);
      return 0;
    }
    case 'down': {
      const stopped = await down(log);
      log(stopped.length ? `stopped ${stopped.join(', ')}` : 'nothing was running');
      return 0;
    }
    case 'status':
      return (await printStatus()) ? 0 : 3;
    case 'env': {
      const state = loadState();
      if (!state) throw new Error('the stack has never been started; run: scripts/stack up');
      process.stdout.write(readFileSync(envFile, 'utf8'));
      return 0;
    }
    case 'seed': {
      const tables = await seedSampleData();
      log(`sample database ready: ${tables}`);
      return 0;
    }
    case 'logs': {
      const names = arg ? [arg] : SERVICES.map((s) => s.name);
      for (const name of names) process.stdout.write(`==> ${logFileOf(name)} <==\n${tail(logFileOf(name), 40)}\n\n`);
      return 0;
    }
    default:
      process.stderr.write(`usage: scripts/stack up|down|status|env|seed|logs [service]   (logs are in ${logsDir})\n`);
      return 64;
  }
}

async function printStatus(): Promise<boolean> {
  const rows = await status();
  for (const r of rows) {
    const state = r.healthy ? 'healthy' : r.running ? 'UNHEALTHY' : 'stopped';
    process.stdout.write(
      `${r.name.padEnd(10)} ${state.padEnd(9)} ${r.pid ? `pid ${r.pid}`.padEnd(10) : ''.padEnd(10)} ${r.detail}\n`,
    );
  }
  return rows.every((r) => r.healthy);
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: Error) => {
    process.stderr.write(`stack: ${err.message}\n`);
    process.exit(1);
  },
);
