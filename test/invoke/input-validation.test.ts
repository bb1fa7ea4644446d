/** One validation of a bot's input for every surface: what the HTTP API refuses with 400, invoke() and `-i file` refuse too. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defineBot, invoke, type BotInput } from '../../src/index.js';
import { rehearse, repoRoot } from '../support/cli.js';
import { tempDir } from '../support/temp.js';

const echo = defineBot({ key: 'echo-input', version: 'v1', run: (input) => input.prompt });

describe('a bot input the HTTP API would refuse', () => {
  it.each([
    ['a role no provider knows', { prompt: 'hi', messages: [{ role: 'wizard', content: 'x' }] }, 'input.messages[0].role'],
    ['content that is not text', { prompt: 'hi', messages: [{ role: 'user', content: 42 }] }, 'input.messages[0].content'],
    ['parameters that are a list', { prompt: 'hi', parameters: [1, 2] }, 'input.parameters must be an object of named values, not a list'],
  ])('%s is refused by invoke(), naming the field', async (_name, input, field) => {
    await expect(invoke(echo, { input: input as unknown as BotInput, mode: 'manual' })).rejects.toMatchObject({ code: 'USAGE', message: expect.stringContaining(field) });
  });

  it('is refused by the CLI from -i file with exit 2', async () => {
    const file = join(tempDir(), 'in.json');
    writeFileSync(file, JSON.stringify({ prompt: 'hi', messages: [{ role: 'wizard', content: 'x' }] }));
    const run = await rehearse(['invoke', 'support-bot', '-i', file, '--mode', 'manual'], { cwd: repoRoot });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('input.messages[0].role');
  });

  it('a valid history with a tool call goes through', async () => {
    const result = await invoke(echo, {
      input: { prompt: 'hi', messages: [{ role: 'assistant', content: null, tool_calls: [{ id: 'c1', name: 'lookup', arguments: '{}' }] }, { role: 'tool', content: 'found', tool_call_id: 'c1' }] },
      mode: 'manual',
    });
    expect(result.error).toBeUndefined();
  });
});
