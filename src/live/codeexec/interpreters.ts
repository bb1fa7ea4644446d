import { execFile } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, isAbsolute, join } from 'node:path';
import type { CodeExecParams } from '../../actions/builtin-types.js';
import { InterpreterMissingError } from '../../errors.js';

export type Language = CodeExecParams['language'];

/** How one language is run: the absolute interpreter, and the arguments that run a file of code. */
export interface Interpreter {
  command: string;
  args(codeFile: string): string[];
  /** The code file's extension (node picks the module system from it; python and bash do not care). */
  extension: string;
}

/** What resolving reads from the parent: its PATH and HOME, and pyenv's version pin if it has one. */
export interface ParentEnvironment {
  PATH?: string | undefined;
  HOME?: string | undefined;
  PYENV_VERSION?: string | undefined;
}

const install: Record<Language, string> = {
  python: 'Install Python 3 (e.g. `apt-get install python3`, `brew install python`, or pyenv) so that `python3` is on your PATH.',
  node: 'Run rehearse with Node.js 20 or newer.',
  bash: 'Install bash (e.g. `apt-get install bash`, `apk add bash`) so that `bash` is on your PATH.',
};

/**
 * Sync on purpose: a dozen stat calls take ~30 µs in all, where each async one waits ~50 µs for the
 * thread pool, and this runs before every program.
 */
function isExecutableFile(path: string): boolean {
  const stats = statSync(path, { throwIfNoEntry: false });
  if (!stats?.isFile() || (stats.mode & 0o111) === 0) return false;
  try {
    accessSync(path, constants.X_OK); // the mode bits do not say whether *we* may run it
    return true;
  } catch {
    return false;
  }
}

/**
 * The first executable `name` on `path`, as an absolute path. Empty and relative entries are skipped:
 * they would resolve against rehearse's own cwd, which is not what the user's shell means by them.
 */
export function findOnPath(name: string, path: string | undefined): string | undefined {
  for (const dir of (path ?? '').split(delimiter)) {
    if (dir === '' || !isAbsolute(dir)) continue;
    const candidate = join(dir, name);
    if (isExecutableFile(candidate)) return candidate;
  }
  return undefined;
}

/**
 * What `python3` on the parent's PATH really is. Version managers (pyenv, asdf) put shims there:
 * scripts that need the parent's HOME and PATH to pick a version, and cost ~100 ms a run. The
 * interpreter itself knows its absolute path (`sys.executable`), which runs fine with the minimal
 * PATH and HOME = the sandbox, so it is asked once per process and candidate and remembered.
 */
const pythonProbes = new Map<string, Promise<string>>();

async function probePython(candidate: string, parent: ParentEnvironment, cwd: string): Promise<string> {
  const key = JSON.stringify([candidate, cwd, parent.PYENV_VERSION ?? null]);
  const cached = pythonProbes.get(key);
  if (cached) {
    const executable = await cached;
    if (isExecutableFile(executable)) return executable;
    // Uninstalled since (`pyenv uninstall`, a removed venv): ask again.
    if (pythonProbes.get(key) === cached) pythonProbes.delete(key);
  }
  const pending = pythonProbes.get(key); // another run may have asked again meanwhile
  if (pending) return pending;

  const env: Record<string, string> = { LANG: 'C.UTF-8', LC_ALL: 'C.UTF-8' };
  if (parent.PATH !== undefined) env.PATH = parent.PATH;
  if (parent.HOME !== undefined) env.HOME = parent.HOME;
  if (parent.PYENV_VERSION !== undefined) env.PYENV_VERSION = parent.PYENV_VERSION;
  const probe = new Promise<string>((resolve, reject) => {
    // Our own fixed program, with none of the parent's secrets in its environment.
    const script = 'import sys; print(sys.version_info[0]); print(sys.executable)';
    execFile(candidate, ['-c', script], { env, cwd, timeout: 15_000, encoding: 'utf8' }, (error, stdout, stderr) => {
      if (error) {
        const detail = (stderr.trim() || error.message).split('\n').slice(-3).join(' ');
        reject(new InterpreterMissingError('python', `${candidate} does not start: ${detail}`, install.python));
        return;
      }
      const [major, executable] = stdout.trim().split('\n');
      if (major !== '3') {
        reject(new InterpreterMissingError('python', `${candidate} is Python ${major ?? '?'}, and Python 3 is needed.`, install.python));
        return;
      }
      resolve(executable && isAbsolute(executable) ? executable : candidate);
    });
  });
  pythonProbes.set(key, probe);
  // A failure is not remembered: the user may install Python and try again in the same process.
  probe.catch(() => {
    if (pythonProbes.get(key) === probe) pythonProbes.delete(key);
  });
  return probe;
}

/**
 * The interpreter for `language`, as an absolute path, looked up on the PARENT's PATH: the code
 * itself runs with a minimal PATH, where a python3 under ~/.pyenv or a bash under /opt would not be found.
 * Node is the very binary running rehearse.
 */
export async function resolveInterpreter(language: Language, parent: ParentEnvironment, cwd: string): Promise<Interpreter> {
  switch (language) {
    case 'node':
      // `.js` with no package.json around it lets node (>= 20.19) detect ESM syntax; a package.json
      // the caller writes through `files` decides it as it would in a project.
      return { command: process.execPath, args: (file) => [file], extension: 'js' };
    case 'bash': {
      const bash = findOnPath('bash', parent.PATH);
      if (!bash) throw new InterpreterMissingError('bash', `no \`bash\` on PATH (${parent.PATH ?? 'unset'}).`, install.bash);
      return { command: bash, args: (file) => [file], extension: 'sh' };
    }
    case 'python': {
      const candidate = findOnPath('python3', parent.PATH) ?? findOnPath('python', parent.PATH);
      if (!candidate) {
        throw new InterpreterMissingError('python', `no \`python3\` (or \`python\`) on PATH (${parent.PATH ?? 'unset'}).`, install.python);
      }
      return { command: await probePython(candidate, parent, cwd), args: (file) => [file], extension: 'py' };
    }
  }
}

/**
 * The extension of a node program's file, chosen from its syntax: `.mjs` when it has import or
 * export statements, else `.cjs`. A `.js` file would follow the nearest package.json, and a session's
 * sandbox lives under the project's .rehearse/ folder, where a "type": "module" project would turn
 * CommonJS code (require) into a broken ES module; the code must mean the same wherever it runs.
 */
export function nodeExtension(code: string): 'mjs' | 'cjs' {
  return /^[ \t]*(?:import[ \t]*[\w{*'"]|export[ \t]+)/m.test(code) ? 'mjs' : 'cjs';
}
