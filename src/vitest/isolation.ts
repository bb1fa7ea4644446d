import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as vitest from 'vitest';
import { beforeEach, type TestContext } from 'vitest';
import { checkOrg } from '../config/resolve.js';
import { UsageError } from '../errors.js';

/** Settings one test holds for itself; they win over the environment (but not over a call's own options). */
export interface TestOverrides {
  org?: string;
  cachePath?: string;
}

export interface IsolateOptions {
  /** Each test its own org, named after the test: recordings of one test are never served to another. */
  org?: boolean;
  /** Each test its own empty cache file, removed when the test ends. */
  cache?: boolean;
}

/** The part of a vitest task these helpers read: its name, its suites and its file. */
export interface TestTask {
  readonly name: string;
  readonly suite?: { readonly name: string; readonly suite?: TestTask['suite'] } | undefined;
  readonly file?: { readonly name: string } | undefined;
  readonly context?: Partial<Pick<TestContext, 'onTestFinished' | 'signal'>>;
}

const overridesByTest = new WeakMap<object, TestOverrides>();

type CurrentTestGetter = () => TestTask | undefined;

/** vitest 4.1 has TestRunner.getCurrentTest() and deprecates importing vitest/suite, which older versions need. */
const getCurrentTest: CurrentTestGetter =
  (vitest as unknown as { TestRunner?: { getCurrentTest?: CurrentTestGetter } }).TestRunner?.getCurrentTest ??
  ((await import('vitest/suite')).getCurrentTest as CurrentTestGetter);

/** The running test: the one of the context given (for concurrent tests), else vitest's current test. */
export function currentTest(context?: { task: TestTask }): TestTask | undefined {
  return context?.task ?? getCurrentTest();
}

function requireTest(helper: string, context?: { task: TestTask }): TestTask {
  const test = currentTest(context);
  if (!test) {
    throw new UsageError(`${helper} was called outside a test.`, {
      hint: 'Call it inside a test or a beforeEach hook, or call isolate({ org: true }) / isolate({ cache: true }) in a describe block.',
    });
  }
  return test;
}

/** What the running test set for itself with isolate(), useOrg() or useTemporaryCache(). */
export function testOverrides(test: TestTask | undefined): TestOverrides {
  return (test && overridesByTest.get(test)) ?? {};
}

function override(test: TestTask, fields: TestOverrides): void {
  overridesByTest.set(test, { ...testOverrides(test), ...fields });
}

/** The names of a test's suites and its own: ['support bot', 'answers refunds']. */
export function testNames(test: TestTask): string[] {
  const names = [test.name];
  for (let suite = test.suite; suite && suite.name !== test.file?.name && suite.name !== ''; suite = suite.suite) names.unshift(suite.name);
  return names;
}

/** The suites and the name of a test: `support bot > answers refunds`. */
export function testName(test: TestTask): string {
  return testNames(test).join(' > ');
}

/**
 * The org of a test: its name as a slug plus a hash of its file and full name, so that it is the same
 * on every run and every clone (its recordings are found again) and two tests never share one.
 */
export function orgForTest(test: TestTask): string {
  const name = testName(test);
  const slug = name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+/, '').slice(0, 80).replace(/-+$/, '') || 'test';
  const hash = createHash('sha256').update(`${test.file?.name ?? ''}\0${name}`).digest('hex').slice(0, 8);
  return `${slug}-${hash}`;
}

/** Gives the running test its own org (named after the test unless `org` is given); returns it. */
export function useOrg(org?: string, context?: TestContext): string {
  const test = requireTest('useOrg()', context);
  const name = checkOrg(org ?? orgForTest(test));
  override(test, { org: name });
  return name;
}

/**
 * Gives the running test its own cache file in a new temporary folder, removed when the test ends;
 * returns its path. The file starts empty: replay records into it (or, strict, misses).
 */
export function useTemporaryCache(context?: TestContext): string {
  const test = requireTest('useTemporaryCache()', context);
  const dir = mkdtempSync(join(tmpdir(), 'rehearse-vitest-'));
  const cachePath = join(dir, 'cache.sqlite');
  override(test, { cachePath });
  const onFinished = context?.onTestFinished ?? test.context?.onTestFinished;
  if (!onFinished) throw new UsageError('useTemporaryCache() could not register its cleanup: the test has no onTestFinished.');
  onFinished(() => rmSync(dir, { recursive: true, force: true }));
  return cachePath;
}

/** In a describe block (or a file's top level): every test in it gets its own org and/or its own temporary cache. */
export function isolate(options: IsolateOptions = { org: true }): void {
  if (!options.org && !options.cache) throw new UsageError('isolate() needs { org: true }, { cache: true } or both.');
  beforeEach((context) => {
    if (options.org) useOrg(undefined, context);
    if (options.cache) useTemporaryCache(context);
  });
}
