import { Redactor } from '../secrets/redactor.js';

/** Values that look like secrets (provider keys, tokens, a URL's password): the built-in redaction's patterns. */
const secretValues = new Redactor();

/** Names of variables that hold secrets or rehearse's own settings: never handed to an agent process. */
const secretName = /(^|_)(API_?KEY|KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIALS?|AUTH)($|_)|^AWS_|^REHEARSE_/i;

/**
 * The environment an agent process runs with: the invocation's own (PATH, HOME, a virtualenv…)
 * without secrets (by name and by value), then the bot's `env`, then the local endpoint's URLs and this run's key for it, so
 * the agent's SDK talks to rehearse, could not reach a provider with a real key if it tried, and no
 * other local process can spend rehearse's key through the endpoint.
 */
export function agentEnvironment(
  inherited: Readonly<Record<string, string | undefined>>,
  own: Readonly<Record<string, string>>,
  endpoint: { env: Readonly<Record<string, string>> },
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(inherited)) {
    // By name, and by value: DATABASE_URL=postgres://admin:password@… or GITHUB_PAT=ghp_… hold secrets under innocent names.
    if (value !== undefined && !secretName.test(name) && !secretValues.matches(value)) env[name] = value;
  }
  Object.assign(env, own);
  Object.assign(env, endpoint.env);
  return env;
}
