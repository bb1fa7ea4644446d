import { Agent } from 'undici';

/**
 * One keep-alive connection pool per origin, shared by every live call of the process, so a bot
 * that makes twenty calls to one provider opens one connection, not twenty.
 */
const agents = new Map<string, Agent>();

export function agentFor(url: URL): Agent {
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
