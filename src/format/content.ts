/** The bot's output as the text a person reads: a string as is, `{ content }`'s content, else JSON. */
export function responseContent(output: unknown): string | null {
  if (output === undefined || output === null) return null;
  if (typeof output === 'string') return output;
  if (typeof output === 'object' && typeof (output as { content?: unknown }).content === 'string') {
    return (output as { content: string }).content;
  }
  return JSON.stringify(output, null, 2) ?? null;
}

export function formatUsd(amount: number): string {
  if (amount === 0) return '$0';
  return amount < 0.01 ? `$${amount.toFixed(6)}` : `$${amount.toFixed(4)}`;
}

export function formatMs(ms: number): string {
  return ms < 10 ? `${ms.toFixed(2)} ms` : ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(2)} s`;
}
