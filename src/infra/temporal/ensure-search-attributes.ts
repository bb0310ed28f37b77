/**
 * pgwarden's workflows set custom search attributes; on a namespace without them every
 * workflow task would fail and retry forever. The worker checks at start-up and stops with
 * the command that registers them.
 */
import { ALL_SEARCH_ATTRIBUTES, cliTypeName } from './search-attributes';
import { ConfigError } from '../errors/errors';

interface OperatorLike {
  operatorService: {
    listSearchAttributes(req: { namespace: string }): Promise<{ customAttributes?: Record<string, unknown> | null }>;
  };
}

export async function missingSearchAttributes(connection: OperatorLike, namespace: string): Promise<string[]> {
  const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace });
  return ALL_SEARCH_ATTRIBUTES.filter((k) => !(k.name in (customAttributes ?? {}))).map((k) => k.name);
}

export function registerCommand(namespace: string, names: string[]): string {
  return ALL_SEARCH_ATTRIBUTES.filter((k) => names.includes(k.name))
    .map(
      (k) => `temporal operator search-attribute create --namespace ${namespace} --name ${k.name} --type ${cliTypeName(k.type)}`,
    )
    .join(' && ');
}

export async function ensureSearchAttributes(connection: OperatorLike, namespace: string): Promise<void> {
  const missing = await missingSearchAttributes(connection, namespace);
  if (missing.length) {
    throw new ConfigError([
      `Temporal namespace "${namespace}" lacks pgwarden's search attributes (${missing.join(', ')}); register them once with: ${registerCommand(namespace, missing)}`,
    ]);
  }
}

/** Registers pgwarden's search attributes (for test servers and first-time set-up). */
export async function registerSearchAttributes(
  connection: { operatorService: { addSearchAttributes(req: unknown): Promise<unknown> } },
  namespace: string,
): Promise<void> {
  const { temporal } = await import('@temporalio/proto');
  const types: Record<string, number> = {
    KEYWORD: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
    INT: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_INT,
  };
  const searchAttributes = Object.fromEntries(ALL_SEARCH_ATTRIBUTES.map((k) => [k.name, types[k.type]]));
  await connection.operatorService.addSearchAttributes({ namespace, searchAttributes });
}
