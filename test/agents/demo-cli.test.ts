/**
 * The README's "Agents as they are really written" commands, as written: the three examples replayed
 * strictly from the committed demo cache and mocked from their mocks files, through the CLI, with
 * no key and no provider (OPENAI_BASE_URL points at a closed port), leaving the cache unchanged.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { rehearse } from '../support/cli.js';
import { deadProvider, repoRoot } from './support.js';

const committedCache = join(repoRoot, 'cache/rehearse.sqlite');
const hashOf = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

const examples = [
  {
    bot: 'openai-sdk-bot',
    prompt: 'Where is my order A-1187?',
    replayed: "Order A-1187 shipped with DHL on 2026-11-19 and should arrive by 2026-11-24. If it hasn't arrived by then, reply here and I'll open a trace with the carrier.",
    mocked: "Your order A-1187 is with DHL and should arrive by November 24. I'll open a trace if it hasn't come by then.",
  },
  {
    bot: 'ai-sdk-bot',
    prompt: 'Can I still return order A-1041?',
    replayed: "Yes, order A-1041 can be returned until 2026-12-05: print the label at https://acme.example/returns/A-1041 and you'll get $42.50 back once it reaches us.",
    mocked: "Yes: order A-1041 can be returned until December 5. Print the label from your account and you'll get $42.50 back.",
  },
  {
    bot: 'python-agent',
    prompt: 'My card was charged twice for one order',
    replayed: "Sorry about the double charge! Send me the order number and I'll refund the duplicate payment today; refunds go back to your original card within 5 business days.",
    mocked: "Sorry about that! I've asked billing to refund the duplicate payment; it will be back on your card within 5 business days.",
  },
];

const offline = { OPENAI_BASE_URL: deadProvider };

describe('the README examples of SDK and Python agents, through the CLI with no key and no network', () => {
  for (const example of examples) {
    it(`${example.bot}: replayed strictly from the committed cache`, async () => {
      const before = hashOf(committedCache);
      const run = await rehearse(['invoke', example.bot, example.prompt, '--mode', 'replay', '--strict', '--format', 'text', '--verbose'], { env: offline });
      expect(run.code, run.stderr).toBe(0);
      const lines = run.stdout.split('\n');
      expect(lines[0]).toBe(example.replayed);
      expect(run.stdout).toMatch(/ 2 actions .* cache 2 hits, 0 misses, 0 recorded/);
      expect(lines.filter((line) => /^\s+\d\. ok\s+llm\.message\s+cache /.test(line))).toHaveLength(2);
      expect(hashOf(committedCache)).toBe(before);
    });

    it(`${example.bot}: mocked from fixtures/mocks/${example.bot}.json`, async () => {
      const run = await rehearse(['invoke', example.bot, example.prompt, '--mode', 'manual', '--mocks', `fixtures/mocks/${example.bot}.json`, '--format', 'text'], { env: offline });
      expect(run.code, run.stderr).toBe(0);
      expect(run.stdout.trimEnd()).toBe(example.mocked);
    });
  }
});
