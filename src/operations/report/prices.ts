/** The report's monthly cost estimate from the configured storage prices (src/infra/config/prices.ts). */
import type { PriceTable } from '../../infra/config/prices';

const GB = 1024 ** 3;

/** Monthly cost of `bytes` in a class; null when the class has no price (say so, never guess). */
export function monthlyCost(bytes: number, storageClass: string, prices: PriceTable): number | null {
  const price = prices[storageClass];
  return price === undefined ? null : (bytes / GB) * price;
}
