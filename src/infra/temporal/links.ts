/** Links into the Temporal Web UI, for CLI output and notices. */
export function runLink(uiUrl: string | undefined, namespace: string, id: string): string | undefined {
  return uiUrl ? `${uiUrl}/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(id)}` : undefined;
}

/** The UI's workflow list filtered by a visibility query (e.g. the open incidents). */
export function listLink(uiUrl: string | undefined, namespace: string, query: string): string | undefined {
  return uiUrl ? `${uiUrl}/namespaces/${encodeURIComponent(namespace)}/workflows?query=${encodeURIComponent(query)}` : undefined;
}

/** What the open-incidents view filters on: incidents that are open (not failed to open, resolved or aborted). */
export const OPEN_INCIDENTS_QUERY = `PgwardenOperation = 'dr' AND PgwardenIncidentStatus = 'open' AND ExecutionStatus = 'Running'`;
