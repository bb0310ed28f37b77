/**
 * Custom search attributes pgwarden's workflows set, so the Temporal UI's list can filter
 * runs by database, operation and incident state. The local stack registers exactly these.
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const DatabaseSA = defineSearchAttributeKey('PgwardenDatabase', SearchAttributeType.KEYWORD);
export const OperationSA = defineSearchAttributeKey('PgwardenOperation', SearchAttributeType.KEYWORD);
export const IncidentStatusSA = defineSearchAttributeKey('PgwardenIncidentStatus', SearchAttributeType.KEYWORD);
export const IncidentStepSA = defineSearchAttributeKey('PgwardenIncidentStep', SearchAttributeType.KEYWORD);
export const EscalationLevelSA = defineSearchAttributeKey('PgwardenEscalationLevel', SearchAttributeType.INT);
export const SeveritySA = defineSearchAttributeKey('PgwardenSeverity', SearchAttributeType.KEYWORD);

export const ALL_SEARCH_ATTRIBUTES = [
  DatabaseSA,
  OperationSA,
  IncidentStatusSA,
  IncidentStepSA,
  EscalationLevelSA,
  SeveritySA,
] as const;

/** The type names the `temporal` CLI takes in `--search-attribute Name=Type`. */
export function cliTypeName(type: SearchAttributeType): string {
  const names: Record<SearchAttributeType, string> = {
    TEXT: 'Text',
    KEYWORD: 'Keyword',
    INT: 'Int',
    DOUBLE: 'Double',
    BOOL: 'Bool',
    DATETIME: 'Datetime',
    KEYWORD_LIST: 'KeywordList',
  };
  return names[type];
}
