import type { Argv } from 'yargs';
import { modeNames, type ModeName } from '../config/resolve.js';
import { UsageError } from '../errors.js';
import { eventLine } from '../format/event-line.js';
import { outputFormats } from '../format/index.js';
import { invoke } from '../invoke/invoke.js';
import type { InvokeOptions, InvokeResult, OutputFormat } from '../invoke/types.js';
import { overrideFlags, overridesFromFlags, type OverrideArguments } from './invoke-overrides.js';
import { parseParams, readInputFile } from './options.js';

interface InvokeArguments extends OverrideArguments {
  bot: string;
  prompt?: string;
  input?: string;
  session?: string;
  mode?: ModeName;
  refresh?: boolean;
  strict?: boolean;
  org?: string;
  cache?: string;
  config?: string;
  mocks?: string;
  format: OutputFormat;
  verbose: boolean;
  stream: boolean;
  param: string[];
  dataset: string[];
  timeout?: number;
  maxAge?: string;
}

export function invokeCommand(cli: Argv) {
  return cli.command(
    'invoke <bot> [prompt]',
    'Run a bot once and print its result',
    (command) =>
      command
        .positional('bot', { type: 'string', demandOption: true, describe: 'The bot key (see `rehearse bots`)' })
        .positional('prompt', { type: 'string', describe: 'The prompt for the bot' })
        .option('input', { alias: 'i', type: 'string', describe: 'Read the input from a file (text, or JSON { prompt, messages, parameters }); - reads stdin' })
        .option('session', { alias: 's', type: 'string', describe: 'Continue this session id' })
        .option('mode', { type: 'string', choices: modeNames, describe: 'live, replay or manual [env REHEARSE_MODE; default live]' })
        .option('refresh', { type: 'boolean', describe: 'Replay mode: run every cached action live and overwrite its recording [env REHEARSE_REFRESH=1]' })
        .option('strict', { type: 'boolean', describe: 'Replay mode: a miss is an error, never a live call [env REHEARSE_STRICT=1]' })
        .option('org', { type: 'string', describe: 'Organisation whose recordings to use [env REHEARSE_ORG; default "default"]' })
        .option('cache', { type: 'string', describe: 'Cache file [env REHEARSE_CACHE; default cache/rehearse.sqlite]' })
        .option('config', { type: 'string', describe: 'Config file [default: rehearse.config.json here or in the nearest folder above]' })
        .option('mocks', { type: 'string', describe: 'Mocks JSON file for manual mode' })
        .option('format', { type: 'string', choices: outputFormats, default: 'events' as OutputFormat, describe: 'events (JSON lines), text, or json' })
        .option('verbose', { alias: 'v', type: 'boolean', default: false, describe: 'With --format text: every step, its source, duration and cost' })
        .option('stream', { type: 'boolean', default: false, describe: 'Print events as they happen' })
        .option('param', { type: 'string', array: true, default: [] as string[], describe: 'A parameter for the bot, name=value (repeatable)' })
        .option('dataset', { type: 'string', array: true, default: [] as string[], describe: 'Index fixtures/datasets/<slug>.* for memory.search (repeatable)' })
        .option('max-age', { type: 'string', describe: 'Replay mode: recordings older than this (30d, 12h) are misses [env REHEARSE_MAX_AGE; config cache.maxAge]' })
        .option('timeout', { type: 'number', describe: 'Fail the invocation after this many ms [default 120000, at most 600000]' })
        .options(overrideFlags)
        .group(Object.keys(overrideFlags), 'Per-invocation options:')
        // Prompts the committed demo cache holds (test/support/record-demo.ts), so these replay as shown; a test runs them.
        .example('$0 invoke support-bot "How do I reset my password?" --mode replay --format text', 'Replay from the committed cache')
        .example('$0 invoke support-bot "Where is my parcel? It has been a week." --mode replay --strict', 'CI: fail on anything not recorded')
        .example('$0 invoke support-bot -i question.txt --mode manual --mocks fixtures/mocks/support-bot.json', 'Run against mocks')
        .example('OPENAI_API_KEY=sk-... $0 invoke support-bot "Hi" --mode replay --refresh', 'Re-record with live calls')
        .example(
          '$0 invoke support-bot "I was charged twice" --model gpt-4.1-mini --reasoning-effort low --instructions "Answer in French." --file notes.md --output-schema answer.schema.json',
          'Per-invocation options: another model, extra instructions, an attached file, a checked output',
        ),
    async (args) => {
      process.exitCode = await runInvoke(args as unknown as InvokeArguments);
    },
  );
}

function write(line: string): void {
  process.stdout.write(`${line}\n`);
}

async function runInvoke(args: InvokeArguments): Promise<number> {
  if (args.prompt !== undefined && args.input !== undefined) throw new UsageError('Give the prompt as an argument or with -i/--input, not both.');
  const input = args.input !== undefined ? readInputFile(args.input) : { prompt: args.prompt };
  if (!input.prompt && !input.messages?.length) {
    throw new UsageError('No prompt: give one after the bot key, or with -i file (or -i - for stdin).', {
      hint: 'Example: rehearse invoke support-bot "Where is my order?" --mode replay',
    });
  }
  const options: InvokeOptions = {
    input,
    parameters: parseParams(args.param),
    datasets: args.dataset,
    format: args.format,
    verbose: args.verbose,
    ...(args.session !== undefined && { sessionId: args.session }),
    ...(args.mode !== undefined && { mode: args.mode }),
    ...(args.refresh !== undefined && { refresh: args.refresh }),
    ...(args.strict !== undefined && { strict: args.strict }),
    ...(args.org !== undefined && { org: args.org }),
    ...(args.cache !== undefined && { cachePath: args.cache }),
    ...(args.config !== undefined && { configPath: args.config }),
    ...(args.mocks !== undefined && { mocks: args.mocks }),
    ...(args.timeout !== undefined && { timeoutMs: args.timeout }),
    ...(args.maxAge !== undefined && { maxAge: args.maxAge }),
    ...overridesFromFlags(args),
  };

  let result: InvokeResult;
  if (args.stream) {
    const stream = invoke(args.bot, { ...options, stream: true });
    for await (const item of stream) {
      if (item.type === 'result') continue;
      // JSON lines on stdout are the events format itself; other formats show progress on stderr.
      if (args.format === 'events') write(JSON.stringify(item));
      else process.stderr.write(`${eventLine(item)}\n`);
    }
    result = await stream.result;
  } else {
    result = await invoke(args.bot, options);
    if (args.format === 'events') for (const event of result.events) write(JSON.stringify(event));
    // rehearse's own warnings (the run could not be saved, mocks given outside manual mode) reach a
    // person whatever the format; a stream has printed them already.
    for (const event of result.events) if (event.type === 'log' && event.level === 'warn') process.stderr.write(`rehearse: warning: ${event.message}\n`);
  }
  // A failed run's text is its error, which goes to stderr below; stdout stays for results.
  if (args.format === 'text' && result.success) write(result.formatted as string);
  if (args.format === 'json') write(JSON.stringify(result.formatted, null, 2));
  if (!result.success && result.error) {
    process.stderr.write(`\nrehearse: ${result.error.message}${result.error.hint ? `\n\n${result.error.hint}` : ''}\n`);
  }
  return result.success ? 0 : 1;
}
