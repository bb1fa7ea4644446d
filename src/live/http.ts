import type { Agent } from 'undici';

/**
 * One keep-alive connection pool per origin, shared by every live call of the process, so a bot
 * that makes twenty calls to one provider opens one connection, not twenty.
 *
 * undici is imported on the first live call only: a replayed or mocked run, and every CLI command
 * that makes no call, never loads it (it is the heaviest import of a start-up).
 */
const agents = new Map<string, Agent>();

let undiciModule: Promise<typeof import('undici')> | undefined;

/** undici, loaded once, when a live call first needs it. */
export function loadUndici(): Promise<typeof import('undici')> {
  undiciModule ??= import('undici');
  return undiciModule;
}

export async function agentFor(url: URL): Promise<Agent> {
  const { Agent } = await loadUndici();
  let agent = agents.get(url.origin);
  if (!agent) {
    agent = new Agent({ keepAliveTimeout: 10_000, connections: 16 });
    agents.set(url.origin, agent);
  }
  return agent;
}

/** Closes every pool; for tests and for a CLI that wants to exit without waiting for idle sockets. */
export async function closeAgents(): Promise<void> {
  const closing = [...agents.values()].map((agent) => agent.close());
  agents.clear();
  await Promise.all(closing);
}
