import { anthropicMessagesCodec } from './anthropic-messages.js';
import { openAiChatCodec } from './openai-chat.js';
import { openAiResponsesCodec } from './openai-responses.js';
import type { WireApi, WireCodec } from './types.js';

export type { WireApi, WireBody, WireCodec, WireResponse, WireStreamReader } from './types.js';
export { anthropicMessagesCodec, openAiChatCodec, openAiResponsesCodec };

const codecs: Record<WireApi, WireCodec> = {
  'openai.chat': openAiChatCodec,
  'openai.responses': openAiResponsesCodec,
  'anthropic.messages': anthropicMessagesCodec,
};

/** Every API a recorded SDK call can speak. */
export const wireApis: readonly WireApi[] = Object.keys(codecs) as WireApi[];

export function codecFor(api: WireApi): WireCodec {
  return codecs[api];
}
