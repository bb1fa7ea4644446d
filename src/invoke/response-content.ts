/** The bot's output as the text a person reads: a string as is, `{ content }`'s content, else JSON. */
export function responseContent(output: unknown): string | null {
  if (output === undefined || output === null) return null;
  if (typeof output === 'string') return output;
  if (typeof output === 'object' && typeof (output as { content?: unknown }).content === 'string') {
    return (output as { content: string }).content;
  }
  return JSON.stringify(output, null, 2) ?? null;
}
