/** A word as it can be pasted into a shell: as is when plain, else in single quotes. */
export const shellWord = (s: string) => (/^[A-Za-z0-9_.:/-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);
