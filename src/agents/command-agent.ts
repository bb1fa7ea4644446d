import { AgentProcessError } from '../errors.js';
import { startProcess } from '../live/codeexec/process.js';
import type { SdkCaller } from '../sdk/exchange.js';
import { startAgentEndpoint } from './endpoint.js';
import { agentEnvironment } from './environment.js';

/** How an agent that is a program runs: its command line, folder and extra environment. */
export interface AgentCommand {
  command: readonly string[];
  cwd: string;
  env: Readonly<Record<string, string>>;
}

/** One run of an agent program, as the bot that runs it (src/bots/command.ts) hands it over. */
export interface AgentRun {
  /** What goes on its stdin. */
  prompt: string;
  /** The invocation's signal: aborted on a timeout or a cancel, which ends the program. */
  signal: AbortSignal;
  /** The invocation's dispatcher and the bot the agent is: its LLM calls go through them. */
  caller: SdkCaller;
  /** Adds a log event to the invocation (each line of the program's stderr). */
  log(line: string): void;
}

/** The invocation's own timeout ends the agent (through the signal); this only bounds a run nobody stops. */
const processTimeoutMs = 600_000;

function describe(command: readonly string[]): string {
  return command.map((part) => (/^[\w./:=@+-]+$/.test(part) ? part : JSON.stringify(part))).join(' ');
}

function lastLines(text: string, count: number): string {
  return text.trimEnd().split('\n').slice(-count).join('\n');
}

/**
 * Runs an agent that is a program: the prompt on its stdin, its answer from its stdout, each line
 * of its stderr a log event as it arrives. For the run, a local endpoint on 127.0.0.1 speaks the
 * OpenAI and Anthropic APIs and the program's OPENAI_BASE_URL / ANTHROPIC_BASE_URL point at it, so
 * its LLM calls go through the dispatcher in every mode. A non-zero exit fails the invocation.
 */
export async function runCommandAgent(agent: AgentCommand, run: AgentRun): Promise<string> {
  const { caller, log } = run;
  const { bot, dispatcher } = caller;
  const live = dispatcher.live;
  const endpoint = await startAgentEndpoint(caller, live);
  const handedBefore = dispatcher.handedOnCount;
  const [program, ...args] = agent.command as [string, ...string[]];
  let pending = '';
  try {
    const running = startProcess({
      command: program,
      args,
      cwd: agent.cwd,
      env: agentEnvironment(live.env, agent.env, endpoint),
      stdin: run.prompt,
      timeoutMs: processTimeoutMs,
      signal: run.signal,
      onStderr(chunk) {
        pending += chunk.toString('utf8');
        const lines = pending.split('\n');
        pending = lines.pop() ?? '';
        for (const line of lines) log(line);
      },
    });
    let result;
    try {
      result = await running.result;
    } catch (error) {
      if (run.signal.aborted) throw run.signal.reason;
      const code = ((error as Error).cause as NodeJS.ErrnoException | undefined)?.code;
      throw new AgentProcessError(`The agent "${bot.path}" could not start \`${describe(agent.command)}\` in ${agent.cwd}${code ? ` (${code})` : ''}.`, {
        hint: code === 'ENOENT' ? `Is "${program}" installed and on PATH, and does ${agent.cwd} exist?` : 'Check that the program is executable.',
        cause: error,
      });
    }
    if (pending) log(pending);
    const ran = `\`${describe(agent.command)}\``;
    if (result.exitCode !== 0) {
      const how = result.signal ? `was killed by ${result.signal}` : `exited with code ${result.exitCode}`;
      // An agent that fails after one of its calls got an error answer (a strict miss, a missing
      // mock) failed because of it: report that, with its hint, rather than the agent's traceback.
      const told = dispatcher.lastHandedOnSince(handedBefore);
      if (told) {
        live.warn(`The agent "${bot.path}" ${how} after rehearse answered one of its LLM calls with this error.`);
        throw told;
      }
      const stderr = lastLines(result.stderr, 5);
      throw new AgentProcessError(`The agent "${bot.path}" (${ran}) ${how}.${stderr ? `\nIts last words on stderr:\n${stderr}` : ''}`, {
        hint: 'Every line it wrote to stderr is a log event of this invocation (--verbose, or --format events).',
      });
    }
    const answer = result.stdout.replace(/\r?\n$/, '');
    if (answer.trim() === '') {
      throw new AgentProcessError(`The agent "${bot.path}" (${ran}) exited 0 but printed nothing on stdout, where its answer belongs.`, {
        hint: 'Print the answer to stdout; logs go to stderr.',
      });
    }
    if (result.stdoutTruncated) live.warn(`The agent "${bot.path}" printed more than 1 MiB; its answer was cut there.`);
    return answer;
  } finally {
    await endpoint.close();
  }
}
