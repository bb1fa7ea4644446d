/** Small edits of a request body that several APIs' overrides share (instructions and files go into a message). */

export type Body = Record<string, unknown>;

export function isRecord(value: unknown): value is Body {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** `text` after `existing`; `text` begins with a blank line, which is dropped when nothing comes before it. */
export function joinText(existing: string | null | undefined, text: string): string {
  return existing ? existing + text : text.trimStart();
}

/** Adds text to a message's content: a string grows, a list of parts gets one more text part. */
function withText(content: unknown, text: string, partType: 'text' | 'input_text'): unknown {
  if (Array.isArray(content)) return [...content, { type: partType, text: text.trimStart() }];
  return joinText(typeof content === 'string' ? content : undefined, text);
}

/** Adds text to the first item `isTarget` picks; with none, `added()` is put first or last. */
export function intoFirst(items: unknown, isTarget: (item: Body) => boolean, text: string, partType: 'text' | 'input_text', place: 'first' | 'last', added: (text: string) => Body): unknown[] {
  const list = Array.isArray(items) ? items : [];
  const index = list.findIndex((item) => isRecord(item) && isTarget(item));
  if (index < 0) return place === 'first' ? [added(text.trimStart()), ...list] : [...list, added(text.trimStart())];
  return list.map((item, at) => (at === index ? { ...(item as Body), content: withText((item as Body).content, text, partType) } : item));
}

export const userMessage = (content: string): Body => ({ role: 'user', content });
export const isUser = (item: Body) => item.role === 'user' && (item.type === undefined || item.type === 'message');

/** The "messages" list most APIs require. */
export function messagesProblem(api: string, body: Body): string | undefined {
  return Array.isArray(body.messages) ? undefined : `an ${api} request needs "messages" (a list): send them as [{ "role": "user", "content": "..." }].`;
}
