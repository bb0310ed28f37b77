/**
 * docker-compose.yml cannot run here (no Docker engine), so it is checked against the code:
 * every service the product needs is there, every reference resolves, and the worker is
 * configured only with variables the configuration module knows.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { CONFIG_VARIABLES } from '../../src/infra/config/variables';
import { ALL_SEARCH_ATTRIBUTES, cliTypeName } from '../../src/infra/temporal/search-attributes';

const root = join(__dirname, '..', '..');
const text = readFileSync(join(root, 'docker-compose.yml'), 'utf8');
const compose = parse(text) as { services: Record<string, Service>; volumes?: Record<string, unknown> };

interface Service {
  image?: string;
  build?: string;
  environment?: Record<string, string>;
  depends_on?: string[] | Record<string, { condition: string }>;
  volumes?: string[];
  command?: string | string[];
}

const services = compose.services;
const worker = services.worker;
const known = new Set(CONFIG_VARIABLES.map((v) => v.name));

describe('docker-compose.yml', () => {
  it('has Temporal with its own database and UI, the PostgreSQL to back up, MinIO, a mail catcher and the worker', () => {
    expect(services.temporal.image).toMatch(/^temporalio\/auto-setup:\d/);
    expect(services['temporal-ui'].image).toMatch(/^temporalio\/ui:\d/);
    expect(services.temporal.environment?.POSTGRES_SEEDS).toBe('temporal-db');
    expect(services['temporal-db'].image).toMatch(/^postgres:/);
    expect(services.postgres.image).toBe('postgres:15');
    expect(services.minio.image).toMatch(/^minio\/minio:/);
    expect(services.mailpit.image).toMatch(/^axllent\/mailpit:/);
    expect(worker.build).toBe('.');
    expect(readFileSync(join(root, 'Dockerfile'), 'utf8')).toMatch(/ENTRYPOINT \["node", "bin\/pgwarden"\]\nCMD \["worker"\]/);
  });

  it('runs the incident console from the same image, as a profile, with only what it reads', () => {
    const c = services.console as Service & { profiles?: string[] };
    expect(c.build).toBe('.');
    expect(c.command).toEqual(['console']);
    expect(c.profiles).toEqual(['console']);
    expect(Object.keys(c.environment ?? {}).filter((k) => !known.has(k))).toEqual([]);
    expect(c.environment).toMatchObject({ CONSOLE_HOST: '0.0.0.0', TEMPORAL_ADDRESS: 'temporal:7233' });
    // No S3, no key: the console reads backups through the worker.
    for (const k of Object.keys(c.environment ?? {})) expect(k).not.toMatch(/^(AWS_|S3_|BACKUP_ENCRYPTION)/);
    expect(worker.environment!.CONSOLE_PUBLIC_URL).toBe(c.environment!.CONSOLE_PUBLIC_URL);
  });

  describe('the worker image installs the PostgreSQL of each major in PG_MAJORS', () => {
    const dockerfile = readFileSync(join(root, 'Dockerfile'), 'utf8');
    const finalStage = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
    // Docker joins a RUN's continued lines; the packages step runs under sh with apt-get and the
    // repository setup standing in (what they would do needs the network), sed as it is.
    const packagesStep = /\nRUN ((?:.*\\\n)*.*)\n/.exec(finalStage)![1].replace(/\\\n/g, ' ');
    const run = (majors: string) => {
      const conf = join(mkdtempSync(join(tmpdir(), 'dockerfile-')), 'createcluster.conf');
      writeFileSync(conf, "# Debian's default\n#create_main_cluster = true\n");
      const script = packagesStep
        .replace(/apt-get/g, 'apt_get')
        .replace('/usr/share/postgresql-common/pgdg/apt.postgresql.org.sh', 'pgdg_setup')
        .replace('/etc/postgresql-common/createcluster.conf', conf)
        .replace(/ && rm -rf \/var\/lib\/apt\/lists\/\*/, '');
      const r = spawnSync('sh', ['-ec', `apt_get() { echo "apt-get $*"; }\npgdg_setup() { echo "pgdg $*"; }\n${script}`], {
        encoding: 'utf8',
        env: { PATH: process.env.PATH, PG_MAJORS: majors },
      });
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      return { steps: r.stdout.trim().split('\n'), conf: readFileSync(conf, 'utf8') };
    };

    it("builds by default for the compose file's PostgreSQL: its server programs and client tools, from Debian", () => {
      const major = /^postgres:(\d+)/.exec(services.postgres.image!)![1];
      expect(/ARG PG_MAJORS="([\d ]+)"/.exec(finalStage)![1].split(' ')).toContain(major);
      const { steps, conf } = run(major);
      expect(steps).not.toContainEqual(expect.stringMatching(/^pgdg/));
      expect(steps.at(-1)).toContain(`postgresql-${major} postgresql-client-${major}`);
      // Debian would otherwise make and start a cluster of its own in the image.
      expect(conf).toContain('\ncreate_main_cluster = false\n');
    });

    it("takes other majors from the project's repository, its postgresql-common before the setting is made", () => {
      const { steps, conf } = run('15 17 18');
      const at = (re: RegExp) => steps.findIndex((l) => re.test(l));
      expect(at(/^pgdg -y$/)).toBeGreaterThan(-1);
      expect(at(/^apt-get install .* postgresql-common$/)).toBeGreaterThan(at(/^pgdg/));
      expect(packagesStep.indexOf('create_main_cluster')).toBeGreaterThan(packagesStep.indexOf('apt.postgresql.org.sh'));
      expect(steps.at(-1)).toMatch(
        /zstd lz4 postgresql-15 postgresql-client-15 postgresql-17 postgresql-client-17 postgresql-18 postgresql-client-18$/,
      );
      expect(conf).toContain('\ncreate_main_cluster = false\n');
    });
  });

  it('pins every image to a version', () => {
    for (const [name, s] of Object.entries(services))
      if (s.image) expect([name, s.image]).toEqual([name, expect.stringMatching(/:[\w.-]*\d/)]);
  });

  it('configures the worker only with variables pgwarden reads', () => {
    const unknown = Object.keys(worker.environment ?? {}).filter((k) => !known.has(k));
    expect(unknown).toEqual([]);
    for (const required of ['DATABASE_URL', 'BACKUP_S3_BUCKET', 'BACKUP_ENCRYPTION_KEY', 'TEMPORAL_ADDRESS'])
      expect(worker.environment).toHaveProperty(required);
  });

  it('interpolates only documented variables from the host', () => {
    const interpolated = [...text.matchAll(/\$\{([A-Z0-9_]+)/g)].map((m) => m[1]);
    expect(interpolated.length).toBeGreaterThan(0);
    expect(interpolated.filter((v) => !known.has(v))).toEqual([]);
  });

  it('points the worker at hosts that are services of this file', () => {
    const hosts = Object.values(worker.environment ?? {})
      .flatMap((v) => [...String(v).matchAll(/(?:\/\/(?:[^@/]*@)?|^)([a-z][a-z0-9-]*):\d+/g)].map((m) => m[1]))
      .filter((h) => h !== 'localhost');
    expect(hosts.sort()).toEqual(['minio', 'postgres', 'temporal']);
    for (const h of hosts) expect(services).toHaveProperty(h);
    expect(services).toHaveProperty(worker.environment!.SMTP_HOST);
  });

  it('depends only on services that exist, and declares its volumes', () => {
    for (const s of Object.values(services)) {
      const deps = Array.isArray(s.depends_on) ? s.depends_on : Object.keys(s.depends_on ?? {});
      for (const d of deps) expect(services).toHaveProperty(d);
      for (const v of s.volumes ?? []) expect(compose.volumes).toHaveProperty(v.split(':')[0]);
    }
  });

  it('registers exactly the search attributes the workflows use', () => {
    const command = String(services['temporal-setup'].command);
    const registered = [...command.matchAll(/(Pgwarden\w+)=(\w+)/g)].map((m) => `${m[1]}=${m[2]}`);
    expect(registered).toEqual(ALL_SEARCH_ATTRIBUTES.map((k) => `${k.name}=${cliTypeName(k.type)}`));
  });
});
