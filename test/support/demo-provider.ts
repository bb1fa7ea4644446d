import type { ChatReply, ChatRequest } from './openai-server.js';

/**
 * The answers of the local test provider the demo cache was recorded against: plausible, short
 * and deterministic, so the committed recordings read well and re-recording changes nothing.
 */
const keywords: Array<[category: string, words: RegExp]> = [
  ['billing', /charge|refund|invoice|payment|paid|bill|money/i],
  ['shipping', /parcel|package|deliver|ship|tracking|arrive/i],
  ['account', /password|login|log in|account|email/i],
];

const answers: Record<string, string> = {
  billing:
    "I'm sorry you were charged twice for order A-1187. I've refunded the duplicate charge of $89.90, and it will reach your card within 5 business days; you'll get an email when it's issued.",
  shipping:
    "Your order A-1187 is on its way with DHL. If it hasn't arrived within 3 business days, reply here and I'll open a trace with the carrier and send a replacement if it's lost.",
  account:
    "You can reset your password from the sign-in page with \"Forgot password\". If the email doesn't arrive within 10 minutes, reply here and I'll reset it for you.",
  other: "Thanks for reaching out! I've passed your message to the right team, and someone will get back to you within one business day.",
};

const followUps: Record<string, string> = {
  billing: 'The refund of $89.90 was issued today. Banks take 3 to 5 business days to show it on your card, so expect it by the end of next week.',
  shipping: 'DHL scans show your parcel at the local depot; it should be out for delivery tomorrow.',
  account: "Once you've reset it, you'll be signed out everywhere else; sign in again with the new password.",
  other: 'Happy to help with anything else!',
};

function lastUserText(request: ChatRequest): string {
  const messages = (request.body?.messages ?? []) as Array<{ role: string; content: unknown }>;
  const last = [...messages].reverse().find((message) => message.role === 'user');
  return typeof last?.content === 'string' ? last.content : '';
}

export function demoProviderHandler(request: ChatRequest): ChatReply {
  const messages = (request.body?.messages ?? []) as Array<{ role: string; content: unknown }>;
  const system = String(messages.find((message) => message.role === 'system')?.content ?? '');
  const text = lastUserText(request);
  const category = keywords.find(([, words]) => words.test(text))?.[0] ?? 'other';
  if (system.startsWith('Classify')) return { kind: 'message', content: category };
  const about = /about (\w+)/.exec(system)?.[1] ?? category;
  // A later turn of a session sees the earlier ones: answer as a follow-up.
  const followUp = messages.filter((message) => message.role !== 'system').length > 1;
  if (followUp) return { kind: 'message', content: followUps[about] ?? followUps.other };
  return { kind: 'message', content: answers[about] ?? answers.other };
}
