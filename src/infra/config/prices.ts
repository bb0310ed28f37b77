/**
 * Storage prices for the report's monthly cost estimate, in USD per GB-month per S3 storage
 * class. Defaults are AWS us-east-1 list prices; S3_STORAGE_PRICES overrides any of them, for
 * another region or an S3-compatible provider. An estimate: requests and transfer are not in it.
 */
export type PriceTable = Record<string, number>;

export const DEFAULT_STORAGE_PRICES: PriceTable = {
  STANDARD: 0.023,
  INTELLIGENT_TIERING: 0.023,
  STANDARD_IA: 0.0125,
  ONEZONE_IA: 0.01,
  GLACIER_IR: 0.004,
  GLACIER: 0.0036,
  DEEP_ARCHIVE: 0.00099,
};

/** `CLASS=price,CLASS=price` over the defaults; returns the table and one line per bad entry. */
export function parsePrices(text: string | undefined): { prices: PriceTable; problems: string[] } {
  const prices = { ...DEFAULT_STORAGE_PRICES };
  const problems: string[] = [];
  for (const entry of (text ?? '')
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean)) {
    const m = /^([A-Z_]+)=(\d+(?:\.\d+)?)$/.exec(entry);
    if (!m) problems.push(`"${entry}" is not CLASS=USD_PER_GB_MONTH (e.g. STANDARD_IA=0.0125)`);
    else prices[m[1]] = Number(m[2]);
  }
  return { prices, problems };
}
