/**
 * The files `rehearse init` writes into a project: a config, an example bot, a test of it that passes
 * with no key and no network (manual mode, its mock), a vitest config wired to rehearse's helpers, and
 * a CI workflow. Each is complete on its own, so a user can read it and change it.
 */

export const cachePath = 'cache/rehearse.sqlite';

export function configFile(): string {
  return `${JSON.stringify({ bots: ['bots/**/*.{ts,mts}'], cache: { path: cachePath } }, null, 2)}\n`;
}

export function exampleBot(): string {
  return `import { defineBot } from 'agent-rehearse';

/**
 * An example bot: one LLM call. Its code runs unchanged in every mode:
 *   npx rehearse invoke example-bot "Hello" --mode live      # a real call (OPENAI_API_KEY)
 *   npx rehearse invoke example-bot "Hello" --mode replay    # the first run records, later runs replay for free
 *   npx rehearse invoke example-bot "Hello" --mode manual --mocks mocks.json
 */
export const exampleBot = defineBot({
  key: 'example-bot',
  description: 'Answers in one friendly sentence.',
  async run(input, ctx) {
    const reply = await ctx.llm.message({
      model: 'gpt-4o-mini',
      system: 'You are a friendly assistant. Answer in one sentence.',
      messages: [{ role: 'user', content: input.prompt }],
    });
    return reply.content;
  },
});
`;
}

export function exampleTest(botImport: string): string {
  return `import { describe, expect, it } from 'vitest';
import { invokeForTest } from 'agent-rehearse/vitest';
import { exampleBot } from '${botImport}';

// One test for every mode: \`npx vitest run\` uses the mock (manual mode, no key, no network);
// \`REHEARSE_MODE=replay npx vitest run\` records real answers once (OPENAI_API_KEY) into ${cachePath};
// CI replays them with REHEARSE_STRICT=1, where a call with no recording fails instead of costing money.
const mocks = {
  'llm.message': { status: 'success' as const, output: { content: 'Hello! How can I help you today?' } },
};

describe('example-bot', () => {
  it('answers a greeting in one call', async () => {
    const result = await invokeForTest(exampleBot, { input: 'Hello', mocks });
    expect(result).toHaveSucceeded();
    expect(result).toHaveUsedAction('llm.message', { times: 1 });
    expect(typeof result.result.output).toBe('string');
  });
});
`;
}

export function vitestConfig(): string {
  return `import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // rehearse's matchers (toHaveSucceeded, toHaveUsedAction, ...) and its end-of-run summary.
    setupFiles: ['agent-rehearse/vitest/setup'],
    reporters: ['default', 'agent-rehearse/vitest/reporter'],
  },
});
`;
}

export function ciWorkflow(): string {
  return `# rehearse: the tests against their mocks on every push, and against the committed recordings once
# there are some (${cachePath}): strict replay, so a call with no recording fails instead of costing money.
name: rehearse
on: [push, pull_request]
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-node@v4
        with:
          node-version: 20
          cache: npm
      - run: npm ci
      - name: Tests against their mocks
        run: npx vitest run
      - name: Recordings are sound
        if: hashFiles('${cachePath}') != ''
        run: npx rehearse cache verify
      - name: Tests against the committed recordings
        if: hashFiles('${cachePath}') != ''
        run: npx vitest run
        env:
          REHEARSE_MODE: replay
          REHEARSE_STRICT: '1'
`;
}
