// Bad inputs to the built CLI (commands, options, -i files, session ids, cache and serve options): each exits 1 or 2 with a message naming the problem.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { rehearse, repoRoot } from '../support/cli.js';

/** One project folder for the whole table: the files the cases point at, and a cache of their own. */
const dir = mkdtempSync(join(tmpdir(), 'rehearse-bad-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
writeFileSync(join(dir, 'not-json.txt'), 'not json');
writeFileSync(join(dir, 'list.json'), '[1, 2]');
writeFileSync(join(dir, 'broken.json'), '{"prompt": "hi",');
writeFileSync(join(dir, 'prompt-number.json'), '{"prompt": 5}');
writeFileSync(join(dir, 'not-jsonl.jsonl'), 'hello\nnot jsonl\n');
writeFileSync(join(dir, 'list-line.jsonl'), '[1, 2]\n');
mkdirSync(join(dir, 'a-folder'));
const at = (name: string) => join(dir, name);
const cache = ['--cache', at('cache.sqlite')];
const manual = ['--mode', 'manual', '--mocks', 'fixtures/mocks/support-bot.json'];
const invoke = (...args: string[]) => ['invoke', 'support-bot', 'I was charged twice', ...args];

interface Case {
  args: string[];
  env?: Record<string, string>;
  code: 1 | 2;
  says: string;
}

/** Usage mistakes exit 2; a run or an operation that failed on what it found exits 1. */
const cases: Record<string, Case> = {
  'an unknown command': { args: ['frobnicate'], code: 2, says: 'Unknown argument: frobnicate' },
  'an unknown option': { args: invoke('--frob'), code: 2, says: 'Unknown argument: frob' },
  'invoke without a bot': { args: ['invoke'], code: 2, says: 'Not enough non-option arguments' },
  'invoke without a prompt': { args: ['invoke', 'support-bot', ...manual], code: 2, says: 'No prompt: give one after the bot key' },
  'an unknown bot': { args: ['invoke', 'nope-bot', 'hi', ...manual], code: 2, says: 'No bot with key "nope-bot"' },
  'a misspelt bot': { args: ['invoke', 'suport-bot', 'hi', ...manual], code: 2, says: 'Did you mean "support-bot"?' },
  'an unknown --mode': { args: invoke('--mode', 'offline'), code: 2, says: 'Argument: mode, Given: "offline"' },
  'an unknown --format': { args: invoke('--format', 'xml', ...manual), code: 2, says: 'Argument: format, Given: "xml"' },
  'a --timeout that is not a number': { args: invoke('--timeout', 'abc', ...manual), code: 2, says: 'timeoutMs is NaN; give a number of milliseconds' },
  'a --timeout of 0': { args: invoke('--timeout', '0', ...manual), code: 2, says: 'timeoutMs is 0' },
  'a negative --timeout': { args: invoke('--timeout', '-5', ...manual), code: 2, says: 'timeoutMs is -5' },
  'a --timeout above the maximum': { args: invoke('--timeout', '600001', ...manual), code: 2, says: 'at most 600000' },
  'a --param without =': { args: invoke('--param', 'tier', ...manual), code: 2, says: '--param "tier" is not name=value' },
  'a --param without a name': { args: invoke('--param', '=gold', ...manual), code: 2, says: '--param "=gold" is not name=value' },
  'an -i file that does not exist': { args: ['invoke', 'support-bot', '-i', at('missing.json'), ...manual], code: 2, says: 'Cannot read the input file' },
  'an -i file that is a folder': { args: ['invoke', 'support-bot', '-i', at('a-folder'), ...manual], code: 2, says: 'EISDIR' },
  'an -i file that starts like JSON and breaks': { args: ['invoke', 'support-bot', '-i', at('broken.json'), ...manual], code: 2, says: 'starts like JSON but does not parse' },
  'an -i file whose prompt is a number': { args: ['invoke', 'support-bot', '-i', at('prompt-number.json'), ...manual], code: 2, says: 'input.prompt must be a string' },
  'an -i file that is a JSON list': { args: ['invoke', 'support-bot', '-i', at('list.json'), ...manual], code: 2, says: 'is a JSON list; give a JSON object' },
  'a prompt and an -i file': { args: [...invoke('-i', at('list.json')), ...manual], code: 2, says: 'not both' },
  'a --dataset that climbs out of its folder': { args: invoke('--dataset', '../etc/passwd', ...manual), code: 2, says: 'Dataset "../etc/passwd" is not a valid slug' },
  'a --dataset that does not exist': {
    // Replayed from the committed cache up to the search, which runs for real and looks the dataset up.
    args: ['invoke', 'support-bot', 'I was charged twice for my order', '--dataset', 'no-such-set', '--mode', 'replay', '--strict'],
    code: 1,
    says: 'No dataset "no-such-set"',
  },
  'a session id that climbs out': { args: invoke('-s', '../etc', ...manual), code: 2, says: 'Session id "../etc" is not valid' },
  'an empty session id': { args: invoke('-s', '', ...manual), code: 2, says: 'Session id "" is not valid' },
  'an org with a slash': { args: invoke('--org', 'a/b', ...manual), code: 2, says: 'Org "a/b" is not a valid name' },
  'a --max-age that is not a duration': { args: invoke('--mode', 'replay', '--strict', '--max-age', '5x'), code: 2, says: 'maxAge is "5x", which is not a duration' },
  'a --config that does not exist': { args: invoke('--config', at('missing.json'), ...manual), code: 2, says: 'does not exist' },
  'a --config that is a folder': { args: invoke('--config', at('a-folder'), ...manual), code: 2, says: 'is a folder, not a file' },
  'an unknown --output-format': { args: invoke('--output-format', 'yaml', ...manual), code: 2, says: 'Argument: output-format, Given: "yaml"' },
  'an --output-schema that is not JSON': { args: invoke('--output-schema', at('not-json.txt'), ...manual), code: 2, says: 'is not JSON' },
  'a --file that is a folder': { args: invoke('--file', at('a-folder'), ...manual), code: 2, says: 'is a directory; attach files one by one' },
  'a --file that does not exist': { args: invoke('--file', at('missing.txt'), ...manual), code: 2, says: 'there is no such file' },
  'an unknown --reasoning-effort': { args: invoke('--reasoning-effort', 'extreme', ...manual), code: 2, says: 'Given: "extreme"' },
  'a --cache that is a folder': { args: invoke('--mode', 'replay', '--strict', '--cache', at('a-folder')), code: 1, says: 'it is a folder, not a file' },
  'a --cache URL of another database': { args: ['cache', 'stats', '--cache', 'mysql://root@db/recordings'], code: 2, says: '--cache is a mysql:// URL' },
  'a REHEARSE_CACHE_URL that is a path': { args: ['cache', 'stats'], env: { REHEARSE_CACHE_URL: at('cache.sqlite') }, code: 2, says: 'REHEARSE_CACHE_URL is not a URL' },
  'an unknown REHEARSE_MODE': { args: ['invoke', 'support-bot', 'hi'], env: { REHEARSE_MODE: 'offline' }, code: 2, says: 'REHEARSE_MODE is "offline", which is not a mode' },
  'a REHEARSE_STRICT that is not a flag': { args: invoke(...manual), env: { REHEARSE_STRICT: 'maybe' }, code: 2, says: 'REHEARSE_STRICT is "maybe"; use 1 or 0' },
  'sessions show with a path for an id': { args: ['sessions', 'show', '../../x'], code: 2, says: 'Session id "../../x" is not valid' },
  'sessions show of an unknown id': { args: ['sessions', 'show', 'no-such-session'], code: 1, says: 'No session "no-such-session"' },
  'sessions with an unknown subcommand': { args: ['sessions', 'frob'], code: 2, says: 'Did you mean show?' },
  'runs show of an unknown id': { args: ['runs', 'show', 'inv_nope'], code: 1, says: 'No run "inv_nope"' },
  'runs --since that is neither duration nor date': { args: ['runs', '--since', 'yesterday'], code: 2, says: '--since "yesterday" is neither a duration nor a date' },
  'runs --status that is not one': { args: ['runs', '--status', 'weird'], code: 2, says: 'Argument: status, Given: "weird"' },
  'usage --format xml': { args: ['usage', '--format', 'xml'], code: 2, says: 'Argument: format, Given: "xml"' },
  'cache without a subcommand': { args: ['cache'], code: 2, says: 'Name a cache command' },
  'cache show of a key that is not hex': { args: ['cache', 'show', 'zzzz', ...cache], code: 2, says: '"zzzz" is not a key prefix' },
  'cache show without a key': { args: ['cache', 'show', ...cache], code: 2, says: 'Not enough non-option arguments' },
  'cache import of a file that is not JSONL': { args: ['cache', 'import', at('not-jsonl.jsonl'), ...cache], code: 1, says: 'line 1: it is not JSON' },
  'cache import of a line that is a list': { args: ['cache', 'import', at('list-line.jsonl'), ...cache], code: 1, says: 'line 1: it is an array, not an entry object' },
  'cache import of a folder': { args: ['cache', 'import', at('a-folder'), ...cache], code: 2, says: 'it is a folder, not a file' },
  'cache import of a missing file': { args: ['cache', 'import', at('missing.jsonl'), ...cache], code: 2, says: 'no such file' },
  'cache import --on-conflict that is not one': { args: ['cache', 'import', at('not-jsonl.jsonl'), '--on-conflict', 'maybe', ...cache], code: 2, says: 'Given: "maybe"' },
  'cache export to a folder': { args: ['cache', 'export', at('a-folder'), ...cache], code: 2, says: 'it is a folder' },
  'cache export into a missing folder': { args: ['cache', 'export', at('nowhere/x.jsonl'), ...cache], code: 2, says: 'its folder does not exist' },
  'cache ls --older-than that is not a time': { args: ['cache', 'ls', '--older-than', 'soon', ...cache], code: 2, says: '--older-than "soon" is neither a duration nor a date' },
  'cache ls --limit that is not whole': { args: ['cache', 'ls', '--limit', '1.5', ...cache], code: 2, says: 'limit is 1.5; give a whole number above 0' },
  'cache prune without a filter': { args: ['cache', 'prune', ...cache], code: 2, says: 'cache prune needs at least one filter' },
  'serve on a port above 65535': { args: ['serve', '--port', '99999'], code: 2, says: 'The port is 99999' },
  'serve on a port that is not a number': { args: ['serve', '--port', 'abc'], code: 2, says: 'The port is NaN; give a whole number' },
  'serve on a host that is not this machine': { args: ['serve', '--host', '999.1.1.1', '--port', '0'], code: 1, says: 'the host is not an address of this machine' },
  'serve with a --max-body that is not a size': { args: ['serve', '--max-body', 'lots'], code: 2, says: 'The size "lots" is not a size' },
  'serve with a --rate-limit that is not one': { args: ['serve', '--rate-limit', 'fast'], code: 2, says: '--rate-limit "fast" is not <requests>/<window>' },
  'serve with a --max-concurrency of 0': { args: ['serve', '--max-concurrency', '0'], code: 2, says: 'The concurrency limit is 0' },
  'serve with an empty REHEARSE_SERVER_TOKEN': { args: ['serve', '--port', '0'], env: { REHEARSE_SERVER_TOKEN: '' }, code: 2, says: 'REHEARSE_SERVER_TOKEN is set but empty' },
};

describe.concurrent('bad inputs to the CLI', () => {
  it.each(Object.entries(cases))('%s', async (_name, { args, env, code, says }) => {
    const run = await rehearse(args, { cwd: repoRoot, ...(env && { env }) });
    expect(run.stderr).toContain(says);
    expect(run.code).toBe(code);
    expect(run.stderr).not.toContain('unexpected error');
    expect(run.stderr).not.toMatch(/^\s{4}at /m);
  });
});
