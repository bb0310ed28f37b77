/**
 * An external filter program (zstd, lz4) as a stream: bytes written go to its stdin, its
 * stdout is read back with backpressure, and its exit status decides how the stream ends: the
 * readable side ends only after the program exited 0, so a truncated or corrupt input that
 * makes it fail is an error downstream, never a short but "complete" output.
 */
import { ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { Duplex } from 'node:stream';

export interface FilterCommand {
  program: string;
  args: string[];
}

type Exit = { code: number | null; signal: NodeJS.Signals | null; error?: Error };

export class FilterProcess extends Duplex {
  private spawned: { child: ChildProcessWithoutNullStreams; exited: Promise<Exit> } | undefined;
  private stderr = '';

  constructor(
    private readonly command: FilterCommand,
    /** Where to look for the program (PATH, or a configured folder first). */
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {
    super();
  }

  /**
   * The program, started on first use: a filter made for a pipeline that never ran (an error
   * before it) starts no process, so none is left waiting on its stdin for ever.
   */
  private started(): { child: ChildProcessWithoutNullStreams; exited: Promise<Exit> } {
    if (this.spawned) return this.spawned;
    const child = spawn(this.command.program, this.command.args, { env: this.env, stdio: ['pipe', 'pipe', 'pipe'] });
    const exited = new Promise<Exit>((resolve) => {
      child.once('error', (error) => resolve({ code: null, signal: null, error }));
      child.once('close', (code, signal) => resolve({ code, signal }));
    });
    this.spawned = { child, exited };
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (s: string) => (this.stderr = (this.stderr + s).slice(-2000)));
    child.stdout.on('data', (chunk: Buffer) => {
      if (!this.push(chunk)) child.stdout.pause();
    });
    child.stdout.once('end', () => {
      void exited.then((r) => (r.code === 0 ? this.push(null) : this.destroy(this.failure(r))));
    });
    // A program that exits early breaks the pipe; its exit status says why.
    child.stdin.on('error', () => undefined);
    void exited.then((r) => {
      if (r.code !== 0 && !this.destroyed) this.destroy(this.failure(r));
    });
    return this.spawned;
  }

  private failure(r: Exit): Error {
    const name = this.command.program;
    if (r.error)
      return new Error(
        `${name} could not run (${r.error.message})${(r.error as NodeJS.ErrnoException).code === 'ENOENT' ? `: install it (Debian: apt-get install ${name})` : ''}`,
      );
    const why = r.signal ? `killed by ${r.signal}` : `exit ${r.code}`;
    const last = this.stderr.trim().split('\n').filter(Boolean).slice(-2).join(' | ');
    return new Error(`${name} failed (${why})${last ? `: ${last}` : ''}`);
  }

  override _read(): void {
    this.started().child.stdout.resume();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (error?: Error | null) => void): void {
    const { child, exited } = this.started();
    child.stdin.write(chunk, (err) => {
      if (!err) return done();
      void exited.then((r) => done(r.code !== 0 ? this.failure(r) : err));
    });
  }

  override _final(done: (error?: Error | null) => void): void {
    this.started().child.stdin.end(() => done());
  }

  override _destroy(error: Error | null, done: (error?: Error | null) => void): void {
    const child = this.spawned?.child;
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    done(error);
  }
}
