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
  /** Free text; each word is searched for (any of them may match), ranked by BM25. */
  query: string;
  /** One namespace or several; by default `default` plus `dataset:<slug>` of every dataset the invocation names. */
  namespace?: string | string[];
  /** How many results at most: 5 by default, 50 at most. */
  limit?: number;
}

/**
 * One search result. The live executor always fills every field; metadata, snippet and namespace are
 * optional so that a hand-written mock or recording may leave them out.
 */
export interface MemorySearchResult {
  id: string;
  text: string;
  /** BM25 relevance, a positive number: higher is better. */
  score: number;
  metadata?: Record<string, unknown>;
  /** The best part of the text, the matched words in [brackets], cut ends marked with `…`. */
  snippet?: string;
  namespace?: string;
}

export interface MemorySearchOutput {
  results: MemorySearchResult[];
}

export interface MemoryAddParams {
  text: string;
  /** Adding again with the same id (in the same namespace) replaces the document; a new id is made when absent. */
  id?: string;
  /** `default` when absent; `dataset:...` namespaces belong to datasets and cannot be added to. */
  namespace?: string;
  /** Any JSON object, returned with the document by memory.search. */
  metadata?: Record<string, unknown>;
}

export interface MemoryAddOutput {
  id: string;
}
