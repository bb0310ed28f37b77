/**
 * Reads that many viewers make at once, made once. Every open console page asks for its
 * fingerprint every 3 s, so N viewers would query each incident's worker N times: a read is
 * shared while it is in flight and reused for `maxAgeMs`, shorter than the pages' poll, so a
 * change still shows by the next one. A failed read is not kept.
 */
export class SharedReads<T> {
  private readonly entries = new Map<string, { at: number; value: Promise<T> }>();

  constructor(
    private readonly maxAgeMs: number,
    private readonly nowMs: () => number = () => performance.now(),
  ) {}

  read(key: string, load: () => Promise<T>): Promise<T> {
    const at = this.nowMs();
    for (const [k, e] of this.entries) if (at - e.at >= this.maxAgeMs) this.entries.delete(k);
    const kept = this.entries.get(key);
    if (kept) return kept.value;
    const value = load();
    const entry = { at, value };
    this.entries.set(key, entry);
    value.catch(() => {
      if (this.entries.get(key) === entry) this.entries.delete(key);
    });
    return value;
  }
}
