import { afterEach, beforeEach } from 'vitest';
import { startAnthropicServer, type FakeAnthropicServer } from './anthropic-server.js';
import { startOpenAIServer, type FakeOpenAIServer } from './openai-server.js';
import { suiteState } from './suite-state.js';

export interface FakeProviders {
  openai: FakeOpenAIServer;
  anthropic: FakeAnthropicServer;
  /** The environment that points live calls at both. */
  env(): Record<string, string>;
}

/** Both local providers, fresh for every test of the file that calls this (their requests start empty). */
export function useFakeProviders(): FakeProviders {
  // The servers are set before each test; until then only env() exists, and no test runs.
  const providers = {
    env: () => ({ ...suiteState(), OPENAI_BASE_URL: providers.openai.url, ANTHROPIC_BASE_URL: providers.anthropic.url, ANTHROPIC_API_KEY: 'k' }),
  } as Partial<FakeProviders> as FakeProviders;
  beforeEach(async () => {
    providers.openai = await startOpenAIServer();
    providers.anthropic = await startAnthropicServer();
  });
  afterEach(async () => {
    await providers.openai.close();
    await providers.anthropic.close();
  });
  return providers;
}
