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

/** The Python agent's answers: its system prompt states a policy, and the answer keeps to it. */
const policyAnswers: Record<string, string> = {
  billing:
    "Sorry about the double charge! Send me the order number and I'll refund the duplicate payment today; refunds go back to your original card within 5 business days.",
  shipping: "Parcels ship with DHL and most arrive within a week. If yours has been in transit for more than 3 business days, send me the order number and I'll open a trace.",
  account: 'Use "Forgot password" on the sign-in page; the reset link we email you is valid for one hour.',
  other: "Thanks for your message! I've passed it on to the right team, and they'll reply within one business day.",
};

function lastUserText(request: ChatRequest): string {
  const messages = (request.body?.messages ?? []) as Array<{ role: string; content: unknown }>;
  const last = [...messages].reverse().find((message) => message.role === 'user');
  return typeof last?.content === 'string' ? last.content : '';
}

type ToolResult = Record<string, unknown> & { order_id?: string; error?: string };

/** How the demo provider words the answer once a tool has run: from the tool's own result. */
const afterTool: Record<string, (result: ToolResult) => string> = {
  lookup_order: (order) => {
    if (order.error !== undefined) return `I couldn't find order ${order.order_id ?? 'that'}. Could you check the number on your confirmation email?`;
    if (order.status === 'shipped') {
      return `Order ${order.order_id} shipped with ${order.carrier} on ${order.shipped} and should arrive by ${order.eta}. If it hasn't arrived by then, reply here and I'll open a trace with the carrier.`;
    }
    return `Order ${order.order_id} is ${order.status}. Reply here if anything about it looks wrong.`;
  },
  check_return: (order) => {
    if (order.error !== undefined) return `I couldn't find order ${order.order_id ?? 'that'}, so I can't start a return yet. Could you check the number on your confirmation email?`;
    return `Yes, order ${order.order_id} can be returned until ${order.returnable_until}: print the label at ${order.label} and you'll get $${Number(order.refund).toFixed(2)} back once it reaches us.`;
  },
};

/** What a tool-using request holds, read from a Chat Completions body (`messages`) or a Responses one (`input` items). */
interface ToolTurn {
  firstTool: string;
  question: string;
  /** The tool the model called last and what it returned, once a result is in the conversation. */
  called?: { name: string; output: string };
}

function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content.map((part: { text?: unknown }) => (typeof part?.text === 'string' ? part.text : '')).join('');
}

function toolTurn(request: ChatRequest): ToolTurn {
  const tools = request.body.tools as Array<{ name?: string; function?: { name?: string } }>;
  const firstTool = tools[0]?.function?.name ?? tools[0]?.name ?? 'lookup';
  type Item = { role?: string; type?: string; content?: unknown; name?: string; output?: unknown; tool_calls?: Array<{ function?: { name?: string } }> };
  const items = (Array.isArray(request.body.messages) ? request.body.messages : Array.isArray(request.body.input) ? request.body.input : []) as Item[];
  const question = textOf([...items].reverse().find((item) => item.role === 'user')?.content);
  const result = [...items].reverse().find((item) => item.role === 'tool' || item.type === 'function_call_output');
  if (!result) return { firstTool, question };
  const call = [...items].reverse().find((item) => item.tool_calls?.length || item.type === 'function_call');
  const name = call?.tool_calls?.[0]?.function?.name ?? call?.name ?? '';
  return { firstTool, question, called: { name, output: result.role === 'tool' ? textOf(result.content) : String(result.output ?? '') } };
}

/**
 * A request that offers tools (the SDK examples, over Chat Completions or the Responses API): the
 * first turn calls the first tool with the order id in the question; once a tool result is in the
 * conversation, the answer is worded from it.
 */
function toolAgentReply(request: ChatRequest): ChatReply {
  const turn = toolTurn(request);
  if (!turn.called) {
    const orderId = /\b[A-Z]-\d{4}\b/i.exec(turn.question)?.[0]?.toUpperCase() ?? 'A-1187';
    return { kind: 'message', toolCalls: [{ name: turn.firstTool, arguments: JSON.stringify({ order_id: orderId }) }] };
  }
  let result: ToolResult;
  try {
    result = JSON.parse(turn.called.output) as ToolResult;
  } catch {
    result = { error: 'unreadable' };
  }
  const word = afterTool[turn.called.name];
  return { kind: 'message', content: word ? word(result) : `Here is what I found: ${turn.called.output}` };
}

export function demoProviderHandler(request: ChatRequest): ChatReply {
  if (Array.isArray(request.body?.tools) && request.body.tools.length > 0) return toolAgentReply(request);
  const messages = (request.body?.messages ?? []) as Array<{ role: string; content: unknown }>;
  const system = String(messages.find((message) => message.role === 'system')?.content ?? '');
  const text = lastUserText(request);
  const category = keywords.find(([, words]) => words.test(text))?.[0] ?? 'other';
  if (system.startsWith('Classify')) return { kind: 'message', content: category };
  const about = /about (\w+)/.exec(system)?.[1] ?? category;
  if (system.includes('Policy:')) return { kind: 'message', content: policyAnswers[about] ?? policyAnswers.other };
  // A later turn of a session sees the earlier ones: answer as a follow-up.
  const followUp = messages.filter((message) => message.role !== 'system').length > 1;
  if (followUp) return { kind: 'message', content: followUps[about] ?? followUps.other };
  return { kind: 'message', content: answers[about] ?? answers.other };
}
