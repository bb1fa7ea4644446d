/**
 * A bot that returns what JSON cannot hold (a BigInt, a value that contains itself) fails its
 * invocation with OUTPUT_NOT_SERIALIZABLE naming where, instead of a run recorded `completed` whose
 * output the CLI dropped and the HTTP API answered with a 500.
 */
import { describe, expect, it } from 'vitest';
import { defineBot, invoke } from '../../src/index.js';

const returning = (value: () => unknown) => defineBot({ key: 'returns', version: 'v1', run: () => value() });

describe("a bot's output that JSON cannot hold", () => {
  it.each([
    ['a BigInt', () => ({ total: 12n }), '$.total is a BigInt (12n)'],
    ['a BigInt in an array', () => ({ rows: [1, 2, 3n] }), '$.rows[2] is a BigInt'],
    [
      'an object that contains itself',
      () => {
        const order: Record<string, unknown> = { id: 'A-1' };
        order.self = order;
        return order;
      },
      '$.self refers back to the output itself',
    ],
    [
      'a cycle further down',
      () => {
        const child: Record<string, unknown> = { name: 'child' };
        const parent = { children: [child] };
        child.parent = parent;
        return { tree: parent };
      },
      '$.tree.children[0].parent refers back to one of its own parents',
    ],
  ])('%s fails the invocation with OUTPUT_NOT_SERIALIZABLE, naming where', async (_name, value, where) => {
    const result = await invoke(returning(value), { mode: 'manual', format: 'json' });
    expect(result.status).toBe('failed');
    expect(result.error?.code).toBe('OUTPUT_NOT_SERIALIZABLE');
    expect(result.error?.message).toContain(where);
    expect(() => JSON.stringify(result.formatted)).not.toThrow();
  });

  it('plain data, dates, shared (not circular) references and functions are fine', async () => {
    const shared = { id: 1 };
    const result = await invoke(
      returning(() => ({ at: new Date(0), a: shared, b: shared, helper: () => 1 })),
      { mode: 'manual' },
    );
    expect(result.error).toBeUndefined();
    expect(result.status).toBe('completed');
  });
});
