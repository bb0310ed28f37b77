/** The mail and webhook capture process (see sinks/server.ts), run from the compiled build. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../paths';
import { startDetached } from '../processes';
import { StackState } from '../state';
import { logFileOf, Service } from './service';

const entry = join(repoRoot, 'dist', 'devstack', 'sinks', 'main.js');

export const sinksService: Service = {
  name: 'sinks',
  ports: ['smtp', 'sinksHttp'],
  startTimeoutMs: 20_000,
  async prepare() {
    if (!existsSync(entry)) throw new Error(`${entry} is missing; build first with: npm run build`);
  },
  start(state: StackState) {
    return startDetached({
      name: 'sinks',
      command: process.execPath,
      args: [entry],
      env: {
        PATH: process.env.PATH,
        SINK_SMTP_PORT: String(state.ports.smtp),
        SINK_HTTP_PORT: String(state.ports.sinksHttp),
        SINK_SMTP_USER: state.credentials.smtpUser,
        SINK_SMTP_PASSWORD: state.credentials.smtpPassword,
      },
      logFile: logFileOf('sinks'),
    });
  },
  async ready(state) {
    const res = await fetch(`http://127.0.0.1:${state.ports.sinksHttp}/health`, { signal: AbortSignal.timeout(1000) });
    return res.ok;
  },
  describe(state) {
    return `SMTP 127.0.0.1:${state.ports.smtp}, captured mail http://127.0.0.1:${state.ports.sinksHttp}/api/mail, webhooks http://127.0.0.1:${state.ports.sinksHttp}/api/webhooks`;
  },
};
