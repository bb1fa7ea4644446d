import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from '../errors.js';

/** What `rehearse init` needs to know of the project it sets up. */
export interface Project {
  root: string;
  /** "type": "module": TypeScript files are ES modules as .ts; otherwise the examples are .mts, which always are. */
  esm: boolean;
  /** The project's vitest config, when it has one: init leaves it alone and says what to add. */
  vitestConfig: string | undefined;
  /** Whether vitest is among the project's dependencies (rehearse's helpers need it). */
  hasVitest: boolean;
  /** The git work tree the project is in (for the cache's merge and diff drivers), if any. */
  gitRoot: string | undefined;
}

const vitestConfigNames = ['vitest.config.ts', 'vitest.config.mts', 'vitest.config.js', 'vitest.config.mjs', 'vitest.config.cts', 'vitest.config.cjs', 'vite.config.ts', 'vite.config.mts', 'vite.config.js', 'vite.config.mjs'];

interface PackageJson {
  type?: unknown;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
}

export function readProject(root: string): Project {
  const manifest = join(root, 'package.json');
  if (!existsSync(manifest)) {
    throw new UsageError(`No package.json in ${root}: rehearse init sets rehearse up in an existing Node project.`, {
      hint: 'Run it in your project\'s folder, or start one first: npm init -y && npm i -D agent-rehearse vitest',
    });
  }
  let pkg: PackageJson;
  try {
    pkg = JSON.parse(readFileSync(manifest, 'utf8').replace(/^\uFEFF/, '')) as PackageJson;
  } catch (error) {
    throw new UsageError(`${manifest} is not valid JSON (${(error as Error).message}).`, { hint: 'Fix it (npm would refuse it too), then run rehearse init again.' });
  }
  return {
    root,
    esm: pkg.type === 'module',
    vitestConfig: vitestConfigNames.find((name) => existsSync(join(root, name))),
    hasVitest: Boolean(pkg.dependencies?.vitest ?? pkg.devDependencies?.vitest),
    gitRoot: gitTopLevel(root),
  };
}

function gitTopLevel(root: string): string | undefined {
  try {
    return execFileSync('git', ['rev-parse', '--show-toplevel'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim() || undefined;
  } catch {
    return undefined; // not a repository, or no git on this machine
  }
}
