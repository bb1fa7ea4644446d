/**
 * Every error rehearse throws on purpose is a RehearseError: a stable `code` a program can branch on,
 * a message that says what went wrong, and a `hint` that says what to do next.
 */
export interface RehearseErrorOptions {
  hint?: string;
  cause?: unknown;
}

export class RehearseError extends Error {
  readonly code: string;
  readonly hint: string | undefined;

  constructor(code: string, message: string, options: RehearseErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.hint = options.hint;
  }

  /** The message followed by the hint, as the CLI prints it. */
  describe(): string {
    return this.hint ? `${this.message}\n\n${this.hint}` : this.message;
  }
}

export function isRehearseError(value: unknown): value is RehearseError {
  return value instanceof Error && typeof (value as { code?: unknown }).code === 'string' && 'hint' in value;
}

// ---- configuration and usage --------------------------------------------------------------------

/** Bad input from the caller: an unknown mode, a malformed option. The CLI exits 2 on these. */
export class UsageError extends RehearseError {
  constructor(message: string, options?: RehearseErrorOptions) {
    super('USAGE', message, options);
  }
}

export class ConfigError extends RehearseError {
  constructor(message: string, options?: RehearseErrorOptions) {
    super('CONFIG_INVALID', message, options);
  }
}

/** A command that needs the project's config found none at or above the folder it ran in. */
export class ConfigNotFoundError extends RehearseError {
  constructor(cwd: string) {
    super('CONFIG_NOT_FOUND', `No rehearse.config.json in ${cwd} or any folder above it.`, {
      hint: 'Run rehearse inside your project (any folder of it), pass --config <file>, or create rehearse.config.json at the project root naming your bot files: { "bots": ["bots/**/*.ts"] }',
    });
  }
}

// ---- bots ---------------------------------------------------------------------------------------

export class BotDefinitionError extends RehearseError {
  constructor(message: string, options?: RehearseErrorOptions) {
    super('BOT_INVALID', message, options);
  }
}

export class BotNotFoundError extends RehearseError {
  readonly botKey: string;
  readonly knownKeys: string[];

  constructor(botKey: string, knownKeys: string[], closest: string | undefined, options: RehearseErrorOptions = {}) {
    const known = knownKeys.length ? knownKeys.join(', ') : '(none)';
    const suggestion = closest ? ` Did you mean "${closest}"?` : '';
    super('BOT_NOT_FOUND', `No bot with key "${botKey}".${suggestion} Known bots: ${known}.`, {
      hint:
        options.hint ??
        'Bots are found in the files that "bots" (a list of globs) names in rehearse.config.json; `rehearse bots` lists them.',
      cause: options.cause,
    });
    this.botKey = botKey;
    this.knownKeys = knownKeys;
  }
}

// ---- actions ------------------------------------------------------------------------------------

export class UnknownActionError extends RehearseError {
  constructor(actionType: string, knownTypes: string[], closest: string | undefined) {
    const suggestion = closest ? ` Did you mean "${closest}"?` : '';
    super('ACTION_UNKNOWN', `Unknown action type "${actionType}".${suggestion}`, {
      hint: `Known action types: ${knownTypes.join(', ')}. Register your own with registerAction({ type, run }).`,
    });
  }
}

export class ActionParamsError extends RehearseError {
  constructor(actionType: string, problem: string) {
    super('ACTION_PARAMS_INVALID', `Invalid params for ${actionType}: ${problem}`);
  }
}

/** An action that ran (live, from the cache or from a mock) and ended in an error. */
export class ActionFailedError extends RehearseError {
  readonly actionType: string;
  readonly source: 'live' | 'cache' | 'mock';
  /** The failure in its own words, without rehearse's preamble: what an SDK call answered by it reads. */
  readonly detail: string;
  /** The HTTP status an SDK call answered by this failure receives (a mocked 429, say). */
  readonly httpStatus: number | undefined;
  /** The provider's error code an SDK call answered by this failure receives (`rate_limit_exceeded`, say). */
  readonly errorCode: string | undefined;

  constructor(actionType: string, source: 'live' | 'cache' | 'mock', message: string, options?: RehearseErrorOptions & { httpStatus?: number; errorCode?: string }) {
    super('ACTION_FAILED', `${actionType} failed (${source}): ${message}`, options);
    this.actionType = actionType;
    this.source = source;
    this.detail = message;
    this.httpStatus = options?.httpStatus;
    this.errorCode = options?.errorCode;
  }
}

export class LiveExecutorMissingError extends RehearseError {
  constructor(actionType: string) {
    super('LIVE_EXECUTOR_MISSING', `${actionType} cannot run live: its definition has no run() function.`, {
      hint: `Give registerAction({ type: '${actionType}', run }) a run(params, live), or serve it from mocks (--mode manual) or recordings (--mode replay --strict).`,
    });
  }
}

// ---- replay cache -------------------------------------------------------------------------------

export class StrictMissError extends RehearseError {
  readonly key: string;
  readonly actionType: string;
  readonly botId: string;

  constructor(fields: { botId: string; actionType: string; key: string; message: string; hint: string }) {
    super('CACHE_STRICT_MISS', fields.message, { hint: fields.hint });
    this.key = fields.key;
    this.actionType = fields.actionType;
    this.botId = fields.botId;
  }
}

/**
 * Replay mode (not strict): a call had no recording, and running it live to record it failed because
 * the provider cannot be used here (no key, no reachable endpoint). The miss is the cause to fix; the
 * live failure is how it surfaced (`cause`).
 */
export class UnrecordedMissError extends RehearseError {
  readonly key: string;
  readonly actionType: string;
  readonly botId: string;

  constructor(fields: { botId: string; actionType: string; key: string; message: string; hint: string; cause: unknown }) {
    super('CACHE_MISS_NOT_RECORDED', fields.message, { hint: fields.hint, cause: fields.cause });
    this.key = fields.key;
    this.actionType = fields.actionType;
    this.botId = fields.botId;
  }
}

export class CacheFileError extends RehearseError {
  constructor(path: string, problem: string, options?: RehearseErrorOptions) {
    super('CACHE_FILE_INVALID', `Cannot use the cache file ${path}: ${problem}`, {
      hint:
        options?.hint ??
        'rehearse never overwrites a file it does not recognise. Point --cache (or REHEARSE_CACHE) at another path, or move this file away.',
      cause: options?.cause,
    });
  }
}

/** A cache on a server cannot be used: its schema is newer, or the tables are missing and cannot be created. */
export class CacheStoreError extends RehearseError {
  constructor(location: string, problem: string, options?: RehearseErrorOptions) {
    super('CACHE_STORE_INVALID', `Cannot use the cache ${location}: ${problem}`, { hint: options?.hint, cause: options?.cause });
  }
}

/** The cache's server did not answer: down, unreachable, or refusing the login. The location never carries a password. */
export class CacheUnreachableError extends RehearseError {
  constructor(server: string, location: string, problem: string, options?: RehearseErrorOptions) {
    super('CACHE_UNREACHABLE', `Cannot reach the cache at ${server} (${location}): ${problem}`, {
      hint:
        options?.hint ??
        'Check that PostgreSQL runs and that the URL (REHEARSE_CACHE_URL, cache.url or --cache) names the right host, port, database, user and password. To replay offline, pull the recordings into a file first: rehearse cache pull.',
      cause: options?.cause,
    });
  }
}

/** A miss that would record, under a role that may only read the cache (CI's replay-only role). Raised before any live call. */
export class CacheReadOnlyError extends RehearseError {
  readonly key: string;

  constructor(location: string, why: string, botId: string, actionType: string, key: string) {
    super('CACHE_READ_ONLY', `No recording of this ${actionType} call by bot "${botId}" (key ${key}), and the cache ${location} may only be read here (${why}), so it cannot be recorded. Nothing was called live.`, {
      hint: 'Record it where the cache may be written (a writable file and folder; on PostgreSQL a recorder role), or run strict (REHEARSE_STRICT=1) to see how the call differs from what was recorded.',
    });
    this.key = key;
  }
}

/** rehearse serve could not listen where it was told: the port is taken, or the host is not this machine's. */
export class ServeListenError extends RehearseError {
  constructor(host: string, port: number, cause: NodeJS.ErrnoException) {
    const where = `${host}:${port}`;
    const [problem, hint] =
      cause.code === 'EADDRINUSE'
        ? ['the port is in use (another rehearse serve, or another program)', `Stop it (rehearse serve stops on Ctrl-C or SIGTERM), or pick another port: --port ${port + 1} (--port 0 takes any free one).`]
        : cause.code === 'EACCES'
          ? ['this user may not listen on that port (ports below 1024 need privileges)', 'Pick a port above 1023: --port 8787.']
          : ['the host is not an address of this machine', '--host 127.0.0.1 serves this machine only; --host 0.0.0.0 every interface (then set REHEARSE_SERVER_TOKEN).'];
    super('SERVE_LISTEN_FAILED', `rehearse serve cannot listen on ${where}: ${problem} (${cause.code ?? cause.message}).`, { hint, cause });
  }
}

/**
 * The cache is busy: other processes held it past the wait rehearse allows (a long write, an
 * integrity check of a large file). Nothing is wrong with the file; the operation can be run again.
 */
export class CacheBusyError extends RehearseError {
  constructor(location: string, operation: string, waitedMs: number, options?: RehearseErrorOptions) {
    super('CACHE_BUSY', `The cache ${location} is busy: ${operation} waited ${Math.round(waitedMs)} ms for other processes using it and gave up.`, {
      hint:
        options?.hint ??
        'The file is fine: run it again. If it keeps happening, look for a long-running writer (an import, a verify of a large cache), or raise REHEARSE_CACHE_BUSY_TIMEOUT (milliseconds).',
      cause: options?.cause,
    });
  }
}

/**
 * A write to the cache failed (a full disk, an I/O error). The recording is not stored; the message
 * says what is on disk now, so nobody deletes the file or its journal by mistake.
 */
export class CacheWriteError extends RehearseError {
  constructor(location: string, problem: string, options?: RehearseErrorOptions) {
    super('CACHE_WRITE_FAILED', `Could not write to the cache ${location}: ${problem}`, {
      hint: options?.hint ?? 'Free some space (or fix the I/O problem) and run again: what was recorded before is intact.',
      cause: options?.cause,
    });
  }
}

/** `rehearse cache merge` cannot merge: a side is not a cache it can read, or the merged cache fails verification. Ours is left as it was. */
export class CacheMergeError extends RehearseError {
  constructor(problem: string, options?: RehearseErrorOptions) {
    super('CACHE_MERGE_FAILED', `Cannot merge the caches: ${problem}`, {
      hint:
        options?.hint ??
        'Nothing was written: git leaves the file in conflict. Check each side with rehearse cache verify --all-orgs --cache <file> (git checkout --ours / --theirs <path> gives each side), fix or re-record, and merge again.',
      cause: options?.cause,
    });
  }
}

// ---- mocks --------------------------------------------------------------------------------------

export class MissingMockError extends RehearseError {
  readonly actionType: string;

  constructor(actionType: string, message: string, hint: string) {
    super('MOCK_MISSING', message, { hint });
    this.actionType = actionType;
  }
}

export class MocksFileError extends RehearseError {
  constructor(file: string, jsonPath: string, problem: string, options?: RehearseErrorOptions) {
    super('MOCKS_INVALID', `Invalid mocks in ${file} at ${jsonPath}: ${problem}`, {
      hint:
        options?.hint ??
        'A mocks file maps an action type to { "status": "success", "output": ... }, { "status": "error", "error": "..." }, or a list of them.',
      cause: options?.cause,
    });
  }
}

// ---- live providers -----------------------------------------------------------------------------

export class ProviderError extends RehearseError {
  readonly status: number;
  readonly providerMessage: string;
  /** The provider's error body as it came, handed on unchanged to an SDK that made the call. */
  readonly body: string | undefined;

  constructor(provider: string, status: number, providerMessage: string, hint?: string, body?: string) {
    super('PROVIDER_ERROR', `${provider} answered HTTP ${status}: ${providerMessage}`, { hint });
    this.status = status;
    this.providerMessage = providerMessage;
    this.body = body;
  }
}

export class ProviderUnreachableError extends RehearseError {
  constructor(provider: string, url: string, cause: unknown) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    super('PROVIDER_UNREACHABLE', `Could not reach ${provider} at ${url}: ${reason}`, {
      hint: 'Check OPENAI_BASE_URL and your network. To run without the network, use --mode replay --strict or --mode manual.',
      cause,
    });
  }
}

export class MissingApiKeyError extends RehearseError {
  constructor(variable: string) {
    super('API_KEY_MISSING', `${variable} is not set, and a live call needs it.`, {
      hint: `Set ${variable} in your environment, or run without live calls: --mode replay --strict (recordings) or --mode manual (mocks).`,
    });
  }
}

export class AgentDepthError extends RehearseError {
  constructor(path: string, limit: number) {
    super('AGENT_DEPTH_EXCEEDED', `Sub-agents nest deeper than ${limit}: ${path}.`, {
      hint: 'Bots that call each other in a cycle never end; break the cycle, or let the innermost bot answer without calling another.',
    });
  }
}

export class InvocationCancelledError extends RehearseError {
  constructor(reason: unknown) {
    const why = reason instanceof Error ? reason.message : reason === undefined ? '' : String(reason);
    super('INVOCATION_CANCELLED', `The invocation was cancelled${why ? `: ${why}` : ''}.`, {
      hint: 'Its signal was aborted. In-flight requests were cancelled and its programs killed; nothing partial was recorded.',
      cause: reason,
    });
  }
}

export class InvocationTimeoutError extends RehearseError {
  constructor(timeoutMs: number) {
    super('INVOCATION_TIMEOUT', `The invocation did not finish within ${timeoutMs} ms and was cancelled.`, {
      hint: 'Raise timeoutMs (at most 600000), or look at the slowest action in the events.',
    });
  }
}

export class ProviderTimeoutError extends RehearseError {
  constructor(provider: string, url: string, timeoutMs: number) {
    super('PROVIDER_TIMEOUT', `${provider} at ${url} did not answer within ${timeoutMs} ms.`, {
      hint: 'Raise llm.timeoutMs in rehearse.config.json, or check that the endpoint is up.',
    });
  }
}

/** A streamed answer that stopped before its end: nothing of it is recorded. */
export class ProviderStreamError extends RehearseError {
  constructor(provider: string, problem: string) {
    super('PROVIDER_STREAM_BROKEN', `${provider}'s stream broke: ${problem}`, {
      hint: 'The connection dropped or the provider failed mid-answer; try again. Nothing was recorded.',
    });
  }
}

// ---- memory and datasets ------------------------------------------------------------------------

/** The local state file (`.rehearse/state.sqlite`) cannot be used: not SQLite, not ours, or newer. */
export class StateFileError extends RehearseError {
  constructor(path: string, problem: string, options?: RehearseErrorOptions) {
    super('STATE_FILE_INVALID', `Cannot use the state file ${path}: ${problem}`, {
      hint:
        options?.hint ??
        'rehearse never overwrites a file it does not recognise. Move this file away (it only holds local state: sessions, runs, the memory index), or point "state.path" in rehearse.config.json (or REHEARSE_STATE) elsewhere.',
      cause: options?.cause,
    });
  }
}

export class DatasetNotFoundError extends RehearseError {
  readonly slug: string;
  readonly available: string[];

  constructor(slug: string, available: string[], folder: string, problem?: string) {
    const known = available.length ? available.join(', ') : '(none)';
    super('DATASET_NOT_FOUND', `${problem ?? `No dataset "${slug}" in ${folder}.`} Available datasets: ${known}.`, {
      hint: `A dataset is one file ${folder}/<slug>.jsonl, .csv, .md or .txt; set "datasets.dir" in rehearse.config.json to use another folder.`,
    });
    this.slug = slug;
    this.available = available;
  }
}

/** A dataset file that cannot be read as its format says: names the file and, when it can, the line. */
export class DatasetFileError extends RehearseError {
  readonly file: string;
  readonly line: number | undefined;

  constructor(file: string, line: number | undefined, problem: string, options?: RehearseErrorOptions) {
    super('DATASET_INVALID', `Cannot index the dataset ${file}${line === undefined ? '' : ` (line ${line})`}: ${problem}`, {
      hint:
        options?.hint ??
        'jsonl: one JSON object a line with a "text" field (optional "id"; other fields become metadata). csv: a header row with a "text" column (optional "id"). md: one document per # or ## section. txt: one document per paragraph.',
      cause: options?.cause,
    });
    this.file = file;
    this.line = line;
  }
}

// ---- code execution -----------------------------------------------------------------------------

/** codeexec.run cannot find the interpreter a language needs on the PATH rehearse runs with. */
export class InterpreterMissingError extends RehearseError {
  readonly language: string;

  constructor(language: string, detail: string, install: string) {
    super('INTERPRETER_MISSING', `codeexec.run cannot run ${language}: ${detail}`, {
      hint: `${install} Then make sure it is on the PATH rehearse runs with (the code itself runs with PATH=/usr/local/bin:/usr/bin:/bin, but the interpreter is looked up on yours).`,
    });
    this.language = language;
  }
}

/** codeexec.run could not start the code at all (the sandbox could not be written, the spawn failed). */
export class CodeExecError extends RehearseError {
  constructor(message: string, options?: RehearseErrorOptions) {
    super('CODEEXEC_FAILED', `codeexec.run could not run the code: ${message}`, options);
  }
}

// ---- sessions and records -----------------------------------------------------------------------

/** A session or an invocation record that the org does not have. */
export class NotFoundError extends RehearseError {
  constructor(message: string, options?: RehearseErrorOptions) {
    super('NOT_FOUND', message, options);
  }
}

// ---- the output of a run --------------------------------------------------------------------------

/** outputFormat 'json' was asked for, and the bot's output is not JSON. */
export class OutputNotJsonError extends RehearseError {
  constructor(problem: string) {
    super('OUTPUT_NOT_JSON', `The output format is json, but ${problem}`, {
      hint: 'Return an object, or a string that parses as JSON (the bot sees the requested format as input.outputFormat).',
    });
  }
}

/** The bot returned a value JSON cannot hold (a BigInt, a circular reference): its result could not be stored, sent or printed. */
export class OutputNotSerializableError extends RehearseError {
  constructor(problem: string) {
    super('OUTPUT_NOT_SERIALIZABLE', `The bot's output cannot be written as JSON: ${problem}`, {
      hint: 'Return plain data: convert a BigInt to a string or a number, and drop the reference that makes a cycle.',
    });
  }
}

/** The bot's output does not match the outputSchema of the invocation. */
export class OutputSchemaMismatchError extends RehearseError {
  /** Each fault: where in the output (a JSON pointer, '' for the whole) and which schema rule. */
  readonly faults: Array<{ instancePath: string; schemaPath: string; message: string }>;

  constructor(faults: Array<{ instancePath: string; schemaPath: string; message: string }>) {
    const where = faults.map((fault) => `${fault.instancePath || '(the whole output)'} ${fault.message} (schema ${fault.schemaPath})`);
    super('OUTPUT_SCHEMA_MISMATCH', `The output does not match the output schema: ${where.join('; ')}.`, {
      hint: 'The instance path is the place in the output, the schema path the rule it breaks (a JSON pointer into outputSchema).',
    });
    this.faults = faults;
  }
}

/** An agent run as a command (a Python program, say) that could not start, failed, or said nothing. */
export class AgentProcessError extends RehearseError {
  constructor(message: string, options?: RehearseErrorOptions) {
    super('AGENT_PROCESS_FAILED', message, options);
  }
}
