/** Names in a one-line message: the first few, and how many more ("a, b, c and 2 more"). Pure. */
export function nameSome(names: string[], shown = 3): string {
  return names.length <= shown ? names.join(', ') : `${names.slice(0, shown).join(', ')} and ${names.length - shown} more`;
}
