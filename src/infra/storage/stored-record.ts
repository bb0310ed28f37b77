/**
 * The JSON records pgwarden keeps in the bucket (backup and base backup manifests, restore
 * points) are read the same way: valid JSON, the kind expected, a format version this pgwarden
 * knows, the fields every reader needs. A record that fails says which key and why, in one line.
 */

export interface RecordShape<T> {
  /** What the record is called in messages, before its key: "base backup manifest". */
  what: string;
  /** What it is not, when the kind differs: "a pgwarden base backup manifest". */
  kindName: string;
  kind: string;
  versions: readonly number[];
  required: ReadonlyArray<keyof T>;
}

/** "version 1", "versions 1, 2 and 3". */
function versionsText(versions: readonly number[]): string {
  if (versions.length === 1) return `version ${versions[0]}`;
  return `versions ${versions.slice(0, -1).join(', ')} and ${versions.at(-1)}`;
}

export function parseStoredRecord<T>(text: string, key: string, shape: RecordShape<T>): T {
  let value: Record<string, unknown> | null;
  try {
    value = JSON.parse(text) as Record<string, unknown> | null;
  } catch {
    throw new Error(`${shape.what} ${key} is not valid JSON`);
  }
  if (value?.kind !== shape.kind) throw new Error(`${key} is not ${shape.kindName}`);
  if (!shape.versions.includes(value.formatVersion as number))
    throw new Error(
      `${shape.what} ${key} has format version ${String(value.formatVersion)}; this pgwarden reads ${versionsText(shape.versions)}: upgrade pgwarden`,
    );
  for (const field of shape.required)
    if (value[field as string] === undefined) throw new Error(`${shape.what} ${key} lacks "${String(field)}"`);
  return value as T;
}
