/**
 * applyRunOverrides on both shapes of llm.message params: the neutral one, and a provider's own request
 * body with `api` (SDK calls recorded through ctx.fetch). The bot's object is never changed.
 */
import { describe, expect, it } from 'vitest';
import { LlmReport } from '../../../src/actions/llm/llm-report.js';
import { applyRunOverrides } from '../../../src/actions/llm/apply-overrides.js';
import type { RunOverrides } from '../../../src/actions/llm/override-types.js';
import { runOverrides } from '../../../src/actions/llm/overrides.js';

const everything: RunOverrides = runOverrides(
  { llm: { provider: 'anthropic', model: 'm-2', reasoningEffort: 'low' }, instructions: 'Be brief.', additionalContext: 'Gold plan.' },
  [{ name: 'a.txt', content: 'A', mediaType: 'text/plain' }],
)!;
const system = '\n\n# Instructions for this run\nBe brief.\n\n# Context for this run\nGold plan.';
const file = '\n\n<attachment name="a.txt" media_type="text/plain">\nA\n</attachment>';

function frozen<T>(value: T): T {
  return structuredClone(value);
}

describe('runOverrides', () => {
  it('is undefined when nothing would change (so runs without options pay nothing)', () => {
    expect(runOverrides({}, [])).toBeUndefined();
    expect(runOverrides({ instructions: '  ' }, [])).toBeUndefined();
    expect(runOverrides({ disableAttachmentInjection: true }, [{ name: 'a', content: 'b', mediaType: 'text/plain' }])).toBeUndefined();
  });
});

describe('applyRunOverrides, neutral params (no api)', () => {
  it('changes model, provider, effort, system and the first user message, on a copy', () => {
    const params = { model: 'm-1', system: 'Sys.', messages: [{ role: 'user', content: 'Q' }], temperature: 0 };
    const before = frozen(params);
    expect(applyRunOverrides(params, everything, true)).toEqual({
      model: 'm-2',
      provider: 'anthropic',
      reasoning_effort: 'low',
      temperature: 0,
      system: `Sys.${system}`,
      messages: [{ role: 'user', content: `Q${file}` }],
    });
    expect(params).toEqual(before);
  });

  it('a sub-agent’s call gets only the llm overrides', () => {
    const params = { model: 'm-1', system: 'Sys.', messages: [{ role: 'user', content: 'Q' }] };
    expect(applyRunOverrides(params, everything, false)).toEqual({ ...params, model: 'm-2', provider: 'anthropic', reasoning_effort: 'low' });
  });

  it('adds a user message when there is none', () => {
    const params = { model: 'm-1', messages: [{ role: 'assistant', content: 'Hello' }] };
    expect(applyRunOverrides(params, everything, true)).toMatchObject({
      system: system.trimStart(),
      messages: [{ role: 'assistant', content: 'Hello' }, { role: 'user', content: file.trimStart() }],
    });
  });
});

describe('applyRunOverrides, openai.chat bodies', () => {
  it('model, reasoning_effort, the system message and the first user message (string or parts)', () => {
    const body = {
      api: 'openai.chat',
      model: 'gpt-4o-mini',
      messages: [
        { role: 'system', content: 'Sys.' },
        { role: 'user', content: [{ type: 'text', text: 'Q' }] },
        { role: 'user', content: 'Later' },
      ],
    };
    const before = frozen(body);
    expect(applyRunOverrides(body, everything, true)).toEqual({
      api: 'openai.chat',
      model: 'm-2',
      reasoning_effort: 'low',
      messages: [
        { role: 'system', content: `Sys.${system}` },
        { role: 'user', content: [{ type: 'text', text: 'Q' }, { type: 'text', text: file.trimStart() }] },
        { role: 'user', content: 'Later' },
      ],
    });
    expect(body).toEqual(before);
  });

  it('puts a system message first when there is none; a sub-agent gets the model and effort only', () => {
    const body = { api: 'openai.chat', model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Q' }] };
    expect((applyRunOverrides(body, everything, true) as { messages: unknown[] }).messages[0]).toEqual({ role: 'system', content: system.trimStart() });
    expect(applyRunOverrides(body, everything, false)).toEqual({ ...body, model: 'm-2', reasoning_effort: 'low' });
  });
});

describe('applyRunOverrides, openai.responses bodies', () => {
  it('instructions, reasoning.effort (other reasoning fields kept), input as a string', () => {
    const body = { api: 'openai.responses', model: 'gpt-5', instructions: 'Sys.', input: 'Q', reasoning: { summary: 'auto' } };
    expect(applyRunOverrides(body, everything, true)).toEqual({
      api: 'openai.responses',
      model: 'm-2',
      instructions: `Sys.${system}`,
      input: `Q${file}`,
      reasoning: { summary: 'auto', effort: 'low' },
    });
  });

  it('input as an item list: the first user message gets an input_text part', () => {
    const body = {
      api: 'openai.responses',
      model: 'gpt-5',
      input: [
        { type: 'function_call_output', call_id: 'c1', output: '{}' },
        { role: 'user', content: [{ type: 'input_text', text: 'Q' }] },
      ],
    };
    expect(applyRunOverrides(body, everything, true)).toMatchObject({
      instructions: system.trimStart(),
      input: [body.input[0], { role: 'user', content: [{ type: 'input_text', text: 'Q' }, { type: 'input_text', text: file.trimStart() }] }],
    });
  });
});

describe('applyRunOverrides, anthropic.messages bodies', () => {
  it('thinking with the answer’s max_tokens kept on top of the budget; temperature dropped; system string and user content', () => {
    const body = { api: 'anthropic.messages', model: 'claude-x', max_tokens: 500, temperature: 0.2, system: 'Sys.', messages: [{ role: 'user', content: 'Q' }] };
    expect(applyRunOverrides(body, everything, true)).toEqual({
      api: 'anthropic.messages',
      model: 'm-2',
      max_tokens: 4096 + 500,
      thinking: { type: 'enabled', budget_tokens: 4096 },
      system: `Sys.${system}`,
      messages: [{ role: 'user', content: `Q${file}` }],
    });
  });

  it('a system given as text blocks gets one more block; a budget the call already had is replaced, not added', () => {
    const body = {
      api: 'anthropic.messages',
      model: 'claude-x',
      max_tokens: 2024,
      thinking: { type: 'enabled', budget_tokens: 1024 },
      system: [{ type: 'text', text: 'Sys.' }],
      messages: [{ role: 'user', content: [{ type: 'text', text: 'Q' }] }],
    };
    expect(applyRunOverrides(body, everything, true)).toMatchObject({
      max_tokens: 4096 + 1000,
      thinking: { type: 'enabled', budget_tokens: 4096 },
      system: [{ type: 'text', text: 'Sys.' }, { type: 'text', text: system.trimStart() }],
      messages: [{ role: 'user', content: [{ type: 'text', text: 'Q' }, { type: 'text', text: file.trimStart() }] }],
    });
  });
});

describe('LlmReport on both shapes', () => {
  it('reports provider, model and effort per API, distinct in order of first use', () => {
    const report = new LlmReport({ retries: 0, timeoutMs: 1000, providers: { claude: 'anthropic' } });
    report.note({ model: 'claude-haiku-4-5', messages: [] });
    report.note({ api: 'openai.responses', model: 'gpt-5', reasoning: { effort: 'high' } });
    report.note({ api: 'anthropic.messages', model: 'claude-x', thinking: { type: 'enabled', budget_tokens: 12_288 } });
    report.note({ api: 'anthropic.messages', model: 'claude-x', thinking: { type: 'enabled', budget_tokens: 2000 } });
    report.note({ api: 'openai.chat', model: 'gpt-5', reasoning_effort: 'high' });
    report.note({ model: 'claude-haiku-4-5', messages: [] });
    expect(report.list()).toEqual([
      { provider: 'anthropic', model: 'claude-haiku-4-5', reasoningEffort: null, calls: 2 },
      { provider: 'openai', model: 'gpt-5', reasoningEffort: 'high', calls: 2 },
      { provider: 'anthropic', model: 'claude-x', reasoningEffort: 'medium', calls: 1 },
      { provider: 'anthropic', model: 'claude-x', reasoningEffort: 'budget_tokens=2000', calls: 1 },
    ]);
  });
});
