/** Params and outputs of the built-in action types other than llm.message. */

export interface CodeExecParams {
  language: 'python' | 'node' | 'bash';
  code: string;
  stdin?: string;
  timeout_ms?: number;
  files?: Record<string, string>;
}

export interface CodeExecOutput {
  stdout: string;
  stderr: string;
  exit_code: number | null;
  timed_out?: boolean;
  duration_ms?: number;
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
