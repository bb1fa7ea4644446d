/** Params and outputs of the built-in action types other than llm.message. */

export interface CodeExecParams {
  language: 'python' | 'node' | 'bash';
  /** The program; run as a file in the sandbox (python3, node, bash). */
  code: string;
  /** Written to the program's standard input, which is then closed; without it, stdin is empty. */
  stdin?: string;
  /** 30000 by default, 600000 at most; the whole process group is killed when it runs out. */
  timeout_ms?: number;
  /** Files written into the sandbox before the run: relative path -> content (UTF-8). */
  files?: Record<string, string>;
}

/**
 * What a run of code gave. The live executor always sets every field; the optional ones are optional
 * because mocks and recordings made before them may leave them out.
 */
export interface CodeExecOutput {
  stdout: string;
  stderr: string;
  /** null when the program was killed by a signal (then `signal` names it). */
  exit_code: number | null;
  signal?: string;
  timed_out?: boolean;
  duration_ms?: number;
  /** Set when the program printed more than 1 MiB there: the rest was dropped. */
  stdout_truncated?: boolean;
  stderr_truncated?: boolean;
  /**
   * What the run created or changed in the sandbox: paths relative to it, `/`-separated, sorted
   * (at most the first 1000 entries of the sandbox are looked at). Files written through `files`
   * are listed only when the program changes them.
   */
  files?: Array<{ path: string; size: number; change: 'created' | 'modified' }>;
}

export interface MemorySearchParams {
  query: string;
  namespace?: string;
  limit?: number;
}

export interface MemorySearchOutput {
  results: Array<{ id: string; text: string; score: number; metadata?: Record<string, unknown>; snippet?: string }>;
}

export interface MemoryAddParams {
  text: string;
  id?: string;
  namespace?: string;
  metadata?: Record<string, unknown>;
}

export interface MemoryAddOutput {
  id: string;
}
