/**
 * The strategy's S3 lifecycle (STANDARD_IA, GLACIER after 30 days, DEEP_ARCHIVE after 90) as
 * one rule for pgwarden's data objects (tag pgwarden-kind=data under the prefix), merged into
 * whatever rules the bucket already has, and the check that no rule expires backups before
 * pgwarden's own retention would.
 */
import type { LifecycleRule } from '@aws-sdk/client-s3';

export interface LifecyclePolicy {
  glacierAfterDays: number;
  deepArchiveAfterDays: number;
}

export function pgwardenRuleId(prefix: string): string {
  return `pgwarden-${prefix || 'root'}`.slice(0, 255);
}

export function pgwardenRule(prefix: string, policy: LifecyclePolicy): LifecycleRule {
  return {
    ID: pgwardenRuleId(prefix),
    Status: 'Enabled',
    Filter: { And: { Prefix: prefix ? `${prefix}/` : '', Tags: [{ Key: 'pgwarden-kind', Value: 'data' }] } },
    Transitions: [
      { Days: policy.glacierAfterDays, StorageClass: 'GLACIER' },
      { Days: policy.deepArchiveAfterDays, StorageClass: 'DEEP_ARCHIVE' },
    ],
    // Parts of uploads that never finished cost money and are never a backup.
    AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 },
  };
}

/** The bucket's rules with pgwarden's replaced or added; `changed` is false when nothing differs. */
export function mergeRules(existing: LifecycleRule[], rule: LifecycleRule): { rules: LifecycleRule[]; changed: boolean } {
  const others = existing.filter((r) => r.ID !== rule.ID);
  const current = existing.find((r) => r.ID === rule.ID);
  const changed = !current || JSON.stringify(normalise(current)) !== JSON.stringify(normalise(rule));
  return { rules: [...others, rule], changed };
}

function normalise(r: LifecycleRule): unknown {
  return {
    ID: r.ID,
    Status: r.Status,
    Filter: r.Filter,
    Transitions: (r.Transitions ?? []).map((t) => ({ Days: t.Days, StorageClass: t.StorageClass })),
    Abort: r.AbortIncompleteMultipartUpload?.DaysAfterInitiation,
  };
}

/** Rules that would expire objects under the prefix before `keepDays`: each a warning line. */
export function expiryWarnings(rules: LifecycleRule[], prefix: string, keepDays: number): string[] {
  const mine = prefix ? `${prefix}/` : '';
  const warnings: string[] = [];
  for (const r of rules) {
    if (r.Status !== 'Enabled' || !r.Expiration?.Days) continue;
    const rulePrefix = r.Filter?.Prefix ?? r.Filter?.And?.Prefix ?? r.Prefix ?? '';
    const overlaps = mine.startsWith(rulePrefix) || rulePrefix.startsWith(mine);
    if (overlaps && r.Expiration.Days < keepDays) {
      warnings.push(
        `lifecycle rule "${r.ID ?? '(no id)'}" expires objects under "${rulePrefix || '/'}" after ${r.Expiration.Days} days, before pgwarden's retention keeps them (${keepDays} days); raise it or scope it away from ${mine || 'the bucket root'}`,
      );
    }
  }
  return warnings;
}
