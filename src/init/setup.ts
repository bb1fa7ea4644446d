import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { configureGitForCache } from '../cache/git/setup.js';
import type { Project } from './project.js';
import * as templates from './templates.js';

export type Outcome = 'created' | 'kept' | 'overwritten' | 'updated' | 'skipped';

export interface Written {
  /** Relative to the project's root. */
  path: string;
  outcome: Outcome;
  what: string;
}

/** A file init owns: written when absent, kept when present (a user's edits are theirs), replaced with --force. */
function writeFile(project: Project, path: string, text: string, what: string, force: boolean): Written {
  const file = join(project.root, path);
  if (existsSync(file)) {
    if (!force || readFileSync(file, 'utf8') === text) return { path, outcome: 'kept', what };
    writeFileSync(file, text);
    return { path, outcome: 'overwritten', what };
  }
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, text);
  return { path, outcome: 'created', what };
}

/** Adds the lines a file lacks, keeping every other line (a .gitignore is the user's, never overwritten). */
function ensureLines(project: Project, path: string, lines: readonly string[], what: string): Written {
  const file = join(project.root, path);
  const before = existsSync(file) ? readFileSync(file, 'utf8') : '';
  const present = new Set(before.split(/\r?\n/).map((line) => line.trim()));
  const missing = lines.filter((line) => !present.has(line));
  if (missing.length === 0) return { path, outcome: 'kept', what };
  const separator = before === '' || before.endsWith('\n') ? '' : '\n';
  writeFileSync(file, `${before}${separator}${missing.join('\n')}\n`);
  return { path, outcome: before === '' ? 'created' : 'updated', what };
}

/** Writes what a project needs to use rehearse; idempotent, and never replaces a file without `force`. */
export function setUpProject(project: Project, force: boolean): Written[] {
  const extension = project.esm ? 'ts' : 'mts';
  const written = [
    writeFile(project, 'rehearse.config.json', templates.configFile(), 'where bots and the cache are', force),
    writeFile(project, `bots/example-bot.${extension}`, templates.exampleBot(), 'an example bot (one llm.message)', force),
    writeFile(project, `test/example-bot.test.${extension}`, templates.exampleTest('../bots/example-bot'), 'its test: passes with no key and no network', force),
  ];
  if (!project.vitestConfig) written.push(writeFile(project, `vitest.config.${extension}`, templates.vitestConfig(), "vitest wired to rehearse's matchers and summary", force));
  written.push(
    ensureLines(project, '.gitignore', ['.rehearse/'], 'the local state (sessions, runs) stays out of git'),
    gitDrivers(project),
    writeFile(project, '.github/workflows/rehearse.yml', templates.ciWorkflow(), 'CI: the tests on mocks, then strict replay of the committed recordings', force),
  );
  return written;
}

/** Git merges the committed cache by recording and shows it as text in diffs (rehearse cache merge / text). */
function gitDrivers(project: Project): Written {
  const path = '.gitattributes + git config';
  const what = 'git merges the cache by recording and diffs it as text';
  if (!project.gitRoot) return { path, outcome: 'skipped', what: 'not a git repository: after git init, run npx rehearse cache git-setup' };
  const changes = configureGitForCache({ root: project.gitRoot, cachePath: join(project.root, templates.cachePath) });
  const attributes = changes.find((change) => change.kind === 'attributes');
  const shown = attributes ? relative(project.root, attributes.file) || '.gitattributes' : '.gitattributes';
  if (changes.length === 0) return { path: `${shown} + git config`, outcome: 'kept', what };
  return { path: `${shown} + git config`, outcome: 'updated', what: `${what} (a fresh clone runs npx rehearse cache git-setup once: git config is not cloned)` };
}
