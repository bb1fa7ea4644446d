/**
 * Re-records the committed demo cache (cache/rehearse.sqlite) against the local test provider:
 *
 *   npm run build && npx tsx test/support/record-demo.ts
 *
 * No key and no network: the provider is test/support/openai-server.ts on 127.0.0.1, answering
 * with test/support/demo-provider.ts. Run it after changing a demo bot (fixtures/bots/*.ts, or
 * fixtures/agents/python-agent/agent.py: its version, a hash of the file, is part of every key) and
 * commit the new cache.
 */
import { rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { invoke } from '../../src/index.js';
import { demoProviderHandler } from './demo-provider.js';
import { startOpenAIServer } from './openai-server.js';

/** A two-turn session, so the README can show one replayed: the second turn's call carries the first. */
export const demoSession = ['I was charged twice for my order', 'When will I get the money back?'];

/**
 * The README's examples of agents as they are really written: the openai SDK and the AI SDK through
 * ctx.fetch, and a Python program run as a command agent (rehearse.config.json's `agents`).
 */
export const sdkDemos: ReadonlyArray<{ bot: string; prompt: string }> = [
  { bot: 'openai-sdk-bot', prompt: 'Where is my order A-1187?' },
  { bot: 'ai-sdk-bot', prompt: 'Can I still return order A-1041?' },
  { bot: 'python-agent', prompt: 'My card was charged twice for one order' },
];

export const demoPrompts = [
  'I was charged twice for my order',
  'Where is my parcel? It has been a week.',
  'How do I reset my password?',
];

const root = resolve(import.meta.dirname, '../..');
const cachePath = resolve(root, 'cache/rehearse.sqlite');
const server = await startOpenAIServer({ handler: demoProviderHandler });
try {
  rmSync(cachePath, { force: true });
  for (const prompt of demoPrompts) {
    const result = await invoke('support-bot', {
      input: prompt,
      cwd: root,
      mode: 'replay',
      refresh: true,
      cachePath,
      format: 'text',
      env: { OPENAI_BASE_URL: server.url },
    });
    if (!result.success) throw new Error(`recording "${prompt}" failed: ${result.error?.message}`);
    console.log(`recorded ${result.cache.recorded} calls for: ${prompt}`);
  }
  const sessionId = `demo-${Date.now()}`;
  for (const prompt of demoSession) {
    const result = await invoke('support-bot', { input: prompt, sessionId, cwd: root, mode: 'replay', refresh: true, cachePath, env: { OPENAI_BASE_URL: server.url } });
    if (!result.success) throw new Error(`recording the session turn "${prompt}" failed: ${result.error?.message}`);
    console.log(`recorded ${result.cache.recorded} calls for session turn: ${prompt}`);
  }
  // A bot's SDK reads OPENAI_BASE_URL from the process (rehearse's `env` option is what the live
  // calls of rehearse itself and of command agents' endpoints use), so both point at the provider.
  const before = process.env.OPENAI_BASE_URL;
  process.env.OPENAI_BASE_URL = server.url;
  try {
    for (const { bot, prompt } of sdkDemos) {
      const result = await invoke(bot, { input: prompt, cwd: root, mode: 'replay', refresh: true, cachePath, env: { OPENAI_BASE_URL: server.url } });
      if (!result.success) throw new Error(`recording ${bot} "${prompt}" failed: ${result.error?.message}`);
      console.log(`recorded ${result.cache.recorded} calls of ${bot} for: ${prompt}`);
    }
  } finally {
    if (before === undefined) delete process.env.OPENAI_BASE_URL;
    else process.env.OPENAI_BASE_URL = before;
  }
} finally {
  await server.close();
}
