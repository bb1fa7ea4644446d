/**
 * Each mode says what it reads (the cache, the mocks) and where a failed call's error came from (the
 * action.completed event's `source`), so the engine never asks which mode it runs in.
 */
import { describe, expect, it } from 'vitest';
import { ActionFailedError, StrictMissError } from '../../src/errors.js';
import { modeNamed } from '../../src/modes/index.js';

const strictMiss = new StrictMissError({ botId: 'bot', actionType: 'llm.message', key: 'k1', message: 'Strict replay miss', hint: 'record it' });
const providerDown = new Error('connect ECONNREFUSED 127.0.0.1:9');

describe('a failed call is attributed by its mode', () => {
  it('live: every failure is the live call', () => {
    expect(modeNamed('live').failedSource(providerDown)).toBe('live');
    expect(modeNamed('live').failedSource(strictMiss)).toBe('live');
  });

  it('replay: a strict miss is the cache; anything else is the live call a miss made', () => {
    expect(modeNamed('replay').failedSource(strictMiss)).toBe('cache');
    expect(modeNamed('replay').failedSource(providerDown)).toBe('live');
  });

  it('manual: every failure is the mocks (a missing mock, a mocked error)', () => {
    expect(modeNamed('manual').failedSource(new ActionFailedError('llm.message', 'mock', 'rate limited'))).toBe('mock');
    expect(modeNamed('manual').failedSource(providerDown)).toBe('mock');
  });
});

describe('each mode says what it reads, so the engine opens only that', () => {
  it('live reads neither the cache nor mocks; replay the cache; manual the mocks', () => {
    expect(modeNamed('live').needs).toEqual({ cache: false, mocks: false });
    expect(modeNamed('replay').needs).toEqual({ cache: true, mocks: false });
    expect(modeNamed('manual').needs).toEqual({ cache: false, mocks: true });
  });
});
