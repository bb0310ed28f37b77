/**
 * The strategy's recovery objectives (backup-strategy.md, "Disaster Recovery"), once: every
 * check and every sentence that names them reads them from here.
 */
export const OBJECTIVES = {
  /** Database restore: 2-4 hours; a restore within 4 h meets it. */
  restore: { maxMs: 4 * 3_600_000, text: 'RTO 2-4 h' },
  /** Full service recovery: 4-6 hours. */
  fullService: { maxMs: 6 * 3_600_000, text: 'RTO 4-6 h' },
  /** Maximum data loss: 24 hours. */
  dataLoss: { maxHours: 24, text: 'RPO 24 h' },
} as const;
