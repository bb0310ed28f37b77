/** Debian's packages the stack, a worker or the tests need, installed with apt when missing. */
import { execFileSync } from 'node:child_process';

export function aptInstall(packages: string[], log: (line: string) => void): void {
  if (process.getuid?.() !== 0)
    throw new Error(`missing ${packages.join(', ')}; install them (sudo apt-get install -y ${packages.join(' ')})`);
  log(`installing ${packages.join(', ')} with apt-get`);
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit' });
  execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...packages], {
    stdio: 'inherit',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
}

export const onPath = (program: string) => {
  try {
    execFileSync(program, ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};
