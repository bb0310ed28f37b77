/** Links into the Temporal Web UI, for CLI output and notices. */
export function runLink(uiUrl: string | undefined, namespace: string, id: string): string | undefined {
  return uiUrl ? `${uiUrl}/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(id)}` : undefined;
}
