/**
 * An agent defined in rehearse.config.json (`agents`), found by its key through the CLI: listed,
 * recorded and replayed like any bot; its version is a hash of its command line and the files it
 * names, so editing its script re-keys its recordings.
 */
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rehearse } from '../support/cli.js';
import { startOpenAIServer, type FakeOpenAIServer } from '../support/openai-server.js';
import { tempDir } from '../support/temp.js';

const agentScript = `import json, os, sys, urllib.request
question = sys.stdin.read().strip()
print(f"ticket-agent got {len(question)} characters", file=sys.stderr)
request = urllib.request.Request(
    os.environ["OPENAI_BASE_URL"] + "/chat/completions",
    data=json.dumps({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": question}]}).encode(),
    headers={"content-type": "application/json", "authorization": "Bearer " + os.environ["OPENAI_API_KEY"]},
)
with urllib.request.urlopen(request) as response:
    print(json.load(response)["choices"][0]["message"]["content"])
`;

let server: FakeOpenAIServer;
beforeAll(async () => {
  server = await startOpenAIServer();
});
afterAll(async () => {
  await server.close();
});

interface Summary {
  status: string;
  bot_id: string;
  bot_version: string;
  response_content: string;
  cache: { hits: number; misses: number; recorded: number };
}

describe('an agent in rehearse.config.json', () => {
  it('is found by key, recorded and replayed through the CLI, and editing its script changes its version', async () => {
    const project = tempDir('rehearse-config-agent-');
    mkdirSync(join(project, 'agents/ticket'), { recursive: true });
    writeFileSync(join(project, 'agents/ticket/agent.py'), agentScript);
    writeFileSync(
      join(project, 'rehearse.config.json'),
      JSON.stringify({
        agents: { 'ticket-agent': { command: ['python3', 'agent.py'], cwd: 'agents/ticket', description: 'Answers a ticket in Python.' } },
        cache: { path: 'cache/rehearse.sqlite' },
      }),
    );
    const cli = (args: string[], env: Record<string, string> = {}) => rehearse(args, { cwd: project, env: { OPENAI_BASE_URL: server.url, ...env } });

    const listed = await cli(['bots', '--format', 'json']);
    expect(listed.code, listed.stderr).toBe(0);
    const bots = JSON.parse(listed.stdout) as Array<{ key: string; version: string; description: string }>;
    expect(bots).toEqual([expect.objectContaining({ key: 'ticket-agent', description: 'Answers a ticket in Python.', version: expect.stringMatching(/^[0-9a-f]{16}$/) })]);

    const recorded = await cli(['invoke', 'ticket-agent', 'Where is my parcel?', '--mode', 'replay', '--format', 'json']);
    expect(recorded.code, recorded.stderr).toBe(0);
    const first = JSON.parse(recorded.stdout) as Summary;
    expect(first).toMatchObject({ status: 'completed', bot_id: 'ticket-agent', bot_version: bots[0]?.version, response_content: 'echo: Where is my parcel?' });
    expect(first.cache).toMatchObject({ misses: 1, recorded: 1 });

    const replayed = await cli(['invoke', 'ticket-agent', 'Where is my parcel?', '--mode', 'replay', '--strict', '--format', 'json'], { OPENAI_BASE_URL: 'http://127.0.0.1:9/v1' });
    expect(replayed.code, replayed.stderr).toBe(0);
    expect(JSON.parse(replayed.stdout)).toMatchObject({ response_content: 'echo: Where is my parcel?', bot_version: first.bot_version, cache: { hits: 1, misses: 0 } });

    // A comment is enough: the script is part of the version, so its recordings no longer match.
    appendFileSync(join(project, 'agents/ticket/agent.py'), '# answers in one line\n');
    const edited = await cli(['invoke', 'ticket-agent', 'Where is my parcel?', '--mode', 'replay', '--strict', '--format', 'json'], { OPENAI_BASE_URL: 'http://127.0.0.1:9/v1' });
    expect(edited.code).toBe(1);
    expect(edited.stderr).toContain('Strict replay miss');
    expect(edited.stderr).toContain('ticket-agent');
    const relisted = JSON.parse((await cli(['bots', '--format', 'json'])).stdout) as Array<{ version: string }>;
    expect(relisted[0]?.version).toMatch(/^[0-9a-f]{16}$/);
    expect(relisted[0]?.version).not.toBe(first.bot_version);
    expect(edited.stderr).toContain(relisted[0]?.version);
  });
});
