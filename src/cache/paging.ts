/**
 * A listing read page by page (keyset paging): each page starts after the last row of the one before,
 * and a short page is the last. Each page is one short read, so no reader holds a store while its
 * consumer is slow.
 */
export async function* pages<T>(readPage: (after: T | undefined) => Promise<T[]>, pageSize: number): AsyncIterable<T> {
  for (let after: T | undefined; ; ) {
    const page = await readPage(after);
    yield* page;
    if (page.length < pageSize) return;
    after = page.at(-1);
  }
}
