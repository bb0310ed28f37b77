/** Entry point of the stack's capture process: ports and credentials come from the environment. */
import { startSinks } from './server';

async function main(): Promise<void> {
  const need = (name: string) => {
    const v = process.env[name];
    if (!v) throw new Error(`${name} is not set`);
    return v;
  };
  const sinks = await startSinks({
    smtpPort: Number(need('SINK_SMTP_PORT')),
    httpPort: Number(need('SINK_HTTP_PORT')),
    smtpUser: need('SINK_SMTP_USER'),
    smtpPassword: need('SINK_SMTP_PASSWORD'),
  });
  process.stdout.write(`sinks listening: smtp ${process.env.SINK_SMTP_PORT}, http ${process.env.SINK_HTTP_PORT}\n`);
  const stop = () => void sinks.close().then(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((err: Error) => {
  process.stderr.write(`sinks: ${err.message}\n`);
  process.exit(1);
});
