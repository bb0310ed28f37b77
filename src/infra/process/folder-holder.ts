/**
 * Which process works in a folder now, across the worker processes of one host: a file naming
 * it (`<pid>@<host> <what>`), created exclusively when the work starts and removed when it ends.
 * A point-in-time restore's attempts share the operator's --data-dir. In one worker a retry
 * stops the attempt it replaces; one still running in another worker process of this host (two
 * workers polling one host queue, the first cut off from Temporal) cannot be stopped from
 * there, and the two would write into one cluster. The file makes the retry wait for it instead.
 */
import { readFile, unlink, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { processState } from './process-state';

export const FOLDER_HOLDER_FILE = 'pgwarden-attempt';

export interface FolderHolder {
  pid: number;
  host: string;
  what: string;
}

export function formatFolderHolder(h: FolderHolder): string {
  return `${h.pid}@${h.host} ${h.what}\n`;
}

/** The holder a file names; undefined for a file cut short or not of this form. Pure. */
export function parseFolderHolder(text: string): FolderHolder | undefined {
  const m = /^(\d+)@(\S+) (.+)\n$/.exec(text);
  return m ? { pid: Number(m[1]), host: m[2], what: m[3] } : undefined;
}

/**
 * Whether the folder's holder still works in it: a live process of this host other than this
 * one. This process's own earlier work was stopped by the caller; a dead process left the file
 * behind; a file cut short was never finished. Another host's process cannot be seen from here,
 * and a folder of a host's work is that host's: not a holder. Pure.
 */
export function holderStillWorks(
  holder: FolderHolder | undefined,
  self: { pid: number; host: string },
  alive: (pid: number) => boolean,
): holder is FolderHolder {
  return holder !== undefined && holder.host === self.host && holder.pid !== self.pid && alive(holder.pid);
}

// Another user's process counts: it may still write into the folder.
const processAlive = (pid: number) => processState(pid) !== 'gone';

/**
 * Takes the folder (which must exist) for this process, or gives the holder still working in
 * it. Returns how to give the folder back: the file goes only while it is still this one's.
 */
export async function holdFolder(
  folder: string,
  what: string,
): Promise<{ release: () => Promise<void> } | { heldBy: FolderHolder }> {
  const file = join(folder, FOLDER_HOLDER_FILE);
  const self = { pid: process.pid, host: hostname() };
  const mine = formatFolderHolder({ ...self, what });
  for (let tries = 0; ; tries++) {
    try {
      await writeFile(file, mine, { flag: 'wx', mode: 0o600 });
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || tries > 2) throw err;
    }
    const found = await readFile(file, 'utf8').catch(() => '');
    const holder = parseFolderHolder(found);
    if (holderStillWorks(holder, self, processAlive)) return { heldBy: holder };
    // Left behind: removed unless somebody took the folder since.
    if ((await readFile(file, 'utf8').catch(() => '')) === found) await unlink(file).catch(() => undefined);
  }
  return {
    release: async () => {
      if ((await readFile(file, 'utf8').catch(() => '')) === mine) await unlink(file).catch(() => undefined);
    },
  };
}
