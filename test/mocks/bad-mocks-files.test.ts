// Bad mocks files given to the built CLI with --mocks: each exits 2 naming the file, the JSON path at fault and what is wrong, before the bot runs.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { rehearse, repoRoot } from '../support/cli.js';

/**
 * A project with one small bot (the mocks are checked after the bot is found, so a project whose config
 * loads no SDK bots starts faster than the repository's); the mocks files of the cases sit beside it.
 */
const dir = mkdtempSync(join(tmpdir(), 'rehearse-bad-mocks-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
mkdirSync(join(dir, 'bots'));
writeFileSync(join(dir, 'package.json'), JSON.stringify({ type: 'module' }));
writeFileSync(join(dir, 'rehearse.config.json'), JSON.stringify({ bots: ['bots/*.ts'] }));
writeFileSync(
  join(dir, 'bots/classifier.ts'),
  `import { defineBot } from '${join(repoRoot, 'dist/index.js')}';
export const classifier = defineBot({
  key: 'classifier',
  async run(input, ctx) {
    return (await ctx.llm.message({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: input.prompt }] })).content;
  },
});
`,
);
const invokeWith = (file: string) => rehearse(['invoke', 'classifier', 'I was charged twice', '--mode', 'manual', '--mocks', file], { cwd: dir });

const answer = { status: 'success', output: 'billing' };
/** A rule for llm.message with this `when`. */
const when = (matcher: unknown) => ({ 'llm.message': { ...answer, when: matcher } });

interface Case {
  /** The file's text: a string as it is, anything else as JSON. */
  mocks: unknown;
  path: string;
  says: string;
}

const cases: Record<string, Case> = {
  'text that is not JSON': { mocks: 'not json', path: '$', says: 'it is not valid JSON' },
  'JSON broken on its third line': { mocks: '{\n  "llm.message": {\n    "status": "success",, "output": 1 }\n}', path: '$', says: 'line 3' },
  'a list at the top': { mocks: [answer], path: '$', says: 'mocks must be an object keyed by action type' },
  'a string at the top': { mocks: '"billing"', path: '$', says: 'mocks must be an object keyed by action type' },
  'a status that is neither success nor error': { mocks: { 'llm.message': { status: 'ok', output: 'x' } }, path: '$["llm.message"].status', says: 'each mock needs "status": "success"' },
  'no status at all': { mocks: { 'llm.message': { output: 'x' } }, path: '$["llm.message"].status', says: 'each mock needs "status"' },
  'a success without output': { mocks: { 'llm.message': { status: 'success' } }, path: '$["llm.message"].output', says: 'a success mock needs an "output"' },
  'an error without its message': { mocks: { 'llm.message': { status: 'error' } }, path: '$["llm.message"].error', says: 'an error mock needs an "error"' },
  'an error that is a number': { mocks: { 'llm.message': { status: 'error', error: 42 } }, path: '$["llm.message"].error', says: '"error" is a message, or { "message"' },
  'an error whose HTTP status is a success': { mocks: { 'llm.message': { status: 'error', error: { message: 'x', status: 200 } } }, path: '$["llm.message"].error.status', says: 'expected number to be >=400' },
  'an error with an unknown field': { mocks: { 'llm.message': { status: 'error', error: { message: 'x', retry: true } } }, path: '$["llm.message"].error', says: 'Unrecognized key: "retry"' },
  'an unknown field beside status': { mocks: { 'llm.message': { ...answer, delay_ms: 5 } }, path: '$["llm.message"]', says: 'Unrecognized key: "delay_ms"' },
  'a bare output instead of a mock': { mocks: { 'llm.message': 'billing' }, path: '$["llm.message"]', says: 'expected object, received string' },
  'null for an action type': { mocks: { 'llm.message': null }, path: '$["llm.message"]', says: 'expected object, received null' },
  'an empty list': { mocks: { 'llm.message': [] }, path: '$["llm.message"]', says: 'a list of mocks needs at least one' },
  'a number in a list': { mocks: { 'llm.message': [answer, 5] }, path: '$["llm.message"][1]', says: 'expected object, received number' },
  'a function written as text': { mocks: { 'llm.message': '(params) => ({ status: "success", output: "x" })' }, path: '$["llm.message"]', says: 'expected object, received string' },
  'a function written as an object': { mocks: { 'llm.message': { type: 'function', body: '() => 1' } }, path: '$["llm.message"].status', says: 'each mock needs "status"' },
  'negative usage': { mocks: { 'llm.message': { ...answer, usage: { input_tokens: -1, output_tokens: 1 } } }, path: '$["llm.message"].usage.input_tokens', says: 'Too small' },
  'usage with half its fields': { mocks: { 'llm.message': { ...answer, usage: { input_tokens: 3 } } }, path: '$["llm.message"].usage.output_tokens', says: 'expected number' },
  'a negative cost': { mocks: { 'llm.message': { ...answer, cost_usd: -1 } }, path: '$["llm.message"].cost_usd', says: 'Too small' },
  'an unclosed $regex': { mocks: when({ $regex: '(unclosed' }), path: '$["llm.message"].when.$regex', says: 'missing closing )' },
  'a $regex with a lookahead': { mocks: when({ $regex: 'refund(?=ed)' }), path: '$["llm.message"].when.$regex', says: 'no lookahead or lookbehind' },
  'a $regex with a backreference': { mocks: when({ messages: [{ content: { $regex: '(a)\\1' } }] }), path: '$["llm.message"].when.messages[0].content.$regex', says: 'no backreferences' },
  'a $regex that is a number': { mocks: when({ model: { $regex: 5 } }), path: '$["llm.message"].when.model.$regex', says: '$regex takes a string, not a number' },
  'a $contains that is a list': { mocks: when({ system: { $contains: ['refund'] } }), path: '$["llm.message"].when.system.$contains', says: '$contains takes a string, not a list' },
  'a $contains that is null': { mocks: when({ $contains: null }), path: '$["llm.message"].when.$contains', says: '$contains takes a string, not null' },
  'a $regex beside other fields': { mocks: when({ $regex: '^gpt', model: 'gpt-4o-mini' }), path: '$["llm.message"].when', says: '$regex stands alone in its object, not beside model' },
  'a $regex in a rule of a list': { mocks: { 'llm.message': [answer, { ...answer, when: { $regex: '[z-a]' } }] }, path: '$["llm.message"][1].when.$regex', says: 'invalid character class range' },
};

describe.concurrent('bad mocks files', () => {
  it.each(Object.entries(cases).map(([name, one], index) => [name, one, index] as const))('%s', async (_name, { mocks, path, says }, index) => {
    const file = join(dir, `mocks-${index}.json`);
    writeFileSync(file, typeof mocks === 'string' ? mocks : JSON.stringify(mocks));
    const run = await invokeWith(file);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`Invalid mocks in ${file} at ${path}: `);
    expect(run.stderr).toContain(says);
    expect(run.stdout).toBe(''); // refused before the bot ran: no event was printed
    expect(run.stderr).not.toContain('unexpected error');
    expect(run.stderr).not.toMatch(/^\s{4}at /m);
  });

  it('a misspelt action type fails the run (exit 1) naming the call without a mock and the mocks there are', async () => {
    const file = join(dir, 'misspelt.json');
    writeFileSync(file, JSON.stringify({ 'llm.mesage': answer }));
    const run = await invokeWith(file);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('call 1 of llm.message has no mock');
    expect(run.stderr).toContain('These mocks exist: llm.mesage.');
  });
});
