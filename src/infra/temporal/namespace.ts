/**
 * A TEMPORAL_NAMESPACE the server does not have shows only at the first call, in Temporal's
 * words: how it says so, and what to set. Pure, and light to load for the CLI.
 */

/**
 * The namespace a Temporal error says is unknown, or undefined: the client's NamespaceNotFoundError
 * ("Namespace not found: 'x'") and a worker's gRPC NOT_FOUND ("Namespace x is not found.").
 */
export function unknownNamespace(err: unknown): string | undefined {
  const message = (err as Error | undefined)?.message ?? '';
  const m = /Namespace not found: '([^']*)'|Namespace (\S+) is not found/.exec(message);
  return m ? (m[1] ?? m[2]) : undefined;
}

/** What to set when Temporal has no such namespace (exit 78, a configuration problem). */
export function unknownNamespaceProblem(namespace: string): string {
  return `TEMPORAL_NAMESPACE: Temporal has no namespace "${namespace}"; set TEMPORAL_NAMESPACE to one it has (temporal operator namespace list), or create it (temporal operator namespace create --namespace ${namespace})`;
}
