/**
 * The monthly cost estimate of what the bucket holds, from the configured storage prices
 * (src/infra/config/prices.ts): the report's storage line and the daily check's budget. Pure.
 */
import type { PriceTable } from '../../infra/config/prices';

const GB = 1024 ** 3;

/** Monthly cost of `bytes` in a class; null when the class has no price (say so, never guess). */
export function monthlyCost(bytes: number, storageClass: string, prices: PriceTable): number | null {
  const price = prices[storageClass];
  return price === undefined ? null : (bytes / GB) * price;
}

export interface ClassUsage {
  storageClass: string;
  objects: number;
  bytes: number;
  /** null: no price known for this class. */
  monthlyUsd: number | null;
}

export interface StorageUsage {
  objects: number;
  bytes: number;
  /** The classes with a price; those without are named in `unpricedClasses`. */
  monthlyUsd: number;
  unpricedClasses: string[];
  /** Largest first. */
  byClass: ClassUsage[];
}

/** What the objects cost a month, by storage class (an object without one is STANDARD, as S3 lists it). */
export function storageUsage(objects: ReadonlyArray<{ size: number; storageClass?: string }>, prices: PriceTable): StorageUsage {
  const classes = new Map<string, ClassUsage>();
  for (const o of objects) {
    const storageClass = o.storageClass || 'STANDARD';
    const usage = classes.get(storageClass) ?? { storageClass, objects: 0, bytes: 0, monthlyUsd: null };
    usage.objects += 1;
    usage.bytes += o.size;
    classes.set(storageClass, usage);
  }
  const byClass = [...classes.values()]
    .map((c) => ({ ...c, monthlyUsd: monthlyCost(c.bytes, c.storageClass, prices) }))
    .sort((a, b) => b.bytes - a.bytes);
  return {
    objects: objects.length,
    bytes: objects.reduce((n, o) => n + o.size, 0),
    monthlyUsd: byClass.reduce((n, c) => n + (c.monthlyUsd ?? 0), 0),
    unpricedClasses: byClass.filter((c) => c.monthlyUsd === null).map((c) => c.storageClass),
    byClass,
  };
}
