/**
 * The setup file of agent-rehearse/vitest (`setupFiles: ['agent-rehearse/vitest/setup']`): registers the matchers
 * in every test file's worker. Per-test state (an isolated org, a temporary cache) belongs to its test
 * and is cleaned up by that test's own onTestFinished, so nothing carries over from one test to the next.
 */
import { expect } from 'vitest';
import { rehearseMatchers } from './matchers.js';

expect.extend(rehearseMatchers);
