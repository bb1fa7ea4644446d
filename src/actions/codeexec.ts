import { ActionParamsError } from '../errors.js';
import { CODE_FILE_PREFIX, MAX_TIMEOUT_MS, runCode } from '../live/codeexec/run.js';
import { TMP_DIR_NAME } from '../live/codeexec/environment.js';
import type { CodeExecOutput, CodeExecParams } from './builtin-types.js';
import type { ActionDefinition } from './types.js';

const languages: ReadonlySet<string> = new Set<CodeExecParams['language']>(['python', 'node', 'bash']);
const fields: ReadonlySet<string> = new Set(['language', 'code', 'stdin', 'timeout_ms', 'files']);

function fail(problem: string): never {
  throw new ActionParamsError('codeexec.run', problem);
}

/** Why `path` cannot be a key of `files`, or undefined when it can. */
function pathProblem(path: string): string | undefined {
  if (path === '') return 'is empty';
  if (path.includes('\0')) return 'contains a NUL byte';
  if (path.startsWith('/')) return 'is absolute; give a path relative to the sandbox, e.g. "data/input.csv"';
  const parts = path.split('/');
  if (parts.some((part) => part === '' || part === '.' || part === '..')) {
    return 'must be a plain relative path inside the sandbox (no "..", "." or empty segments), e.g. "data/input.csv"';
  }
  if (parts[0]!.startsWith(CODE_FILE_PREFIX) || parts[0] === TMP_DIR_NAME) return `is reserved by rehearse (${CODE_FILE_PREFIX}*, ${TMP_DIR_NAME})`;
  return undefined;
}

/**
 * Checks what decides what runs. Hand-written, and returns the params object itself, as llm.message
 * does: it also runs on replay hits when codeexec.run is cached. Unknown fields are refused, so a
 * `timeout` or `timeoutMs` typo does not silently run with the default.
 */
function validate(raw: unknown): CodeExecParams {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) fail('params must be an object like { language: "python", code: "print(1)" }.');
  for (const field of Object.keys(raw)) {
    if (!fields.has(field)) fail(`unknown field "${field}"; the fields are language, code, stdin, timeout_ms, files.`);
  }
  const params = raw as Partial<CodeExecParams>;
  if (typeof params.language !== 'string' || !languages.has(params.language)) {
    fail(`"language" is ${JSON.stringify(params.language)}; use one of "python", "node", "bash".`);
  }
  if (typeof params.code !== 'string') fail('"code" must be a string: the program to run.');
  if (params.stdin !== undefined && typeof params.stdin !== 'string') fail('"stdin" must be a string when given.');
  if (params.timeout_ms !== undefined) {
    const timeout = params.timeout_ms;
    if (typeof timeout !== 'number' || !Number.isInteger(timeout) || timeout <= 0) {
      fail(`"timeout_ms" is ${JSON.stringify(timeout)}; it must be a positive whole number of milliseconds (30000 by default).`);
    }
    if (timeout > MAX_TIMEOUT_MS) fail(`"timeout_ms" is ${timeout}; at most ${MAX_TIMEOUT_MS} (10 minutes) is allowed.`);
  }
  if (params.files !== undefined) {
    const files = params.files as unknown;
    if (files === null || typeof files !== 'object' || Array.isArray(files)) {
      fail('"files" must be an object mapping a relative path to its content, e.g. { "data/input.csv": "a,b\\n1,2\\n" }.');
    }
    for (const [path, content] of Object.entries(files)) {
      const problem = pathProblem(path);
      if (problem) fail(`"files" key ${JSON.stringify(path)} ${problem}.`);
      if (typeof content !== 'string') fail(`files[${JSON.stringify(path)}] must be a string (the file's content).`);
    }
  }
  return params as CodeExecParams;
}

export const codeExecAction: ActionDefinition<CodeExecParams, CodeExecOutput> = {
  type: 'codeexec.run',
  description: 'Runs code (python, node, bash) in a sandboxed child process.',
  // Code may read the clock, the network or files, and costs nothing to run again.
  cachedByDefault: false,
  validate,
  run: async (params, live) => ({ output: await runCode(params, live) }),
  exampleOutput: {
    stdout: '42\n',
    stderr: '',
    exit_code: 0,
    timed_out: false,
    duration_ms: 38.2,
    stdout_truncated: false,
    stderr_truncated: false,
    files: [],
  } satisfies CodeExecOutput,
};
