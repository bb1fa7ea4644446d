/**
 * Turns a user's free-text query into a safe FTS5 query: each word quoted (so `what's up?`, `C++`,
 * `AND`, `"` or `*` can never be read as FTS5 syntax), the words joined with OR, BM25 ranking the
 * documents that match more and rarer words first.
 *
 * Common English words are dropped when the query has other words: "how do I get a refund" searches
 * for "get" OR "refund", which ranks better and is much faster on a large index (a word found in
 * every document makes every document a match). A query made only of such words keeps them all.
 */

/** At most this many distinct words are searched for; the rest of a very long query is ignored. */
export const maxQueryWords = 32;

const stopWords: ReadonlySet<string> = new Set(
  (
    'a an and are as at be been but by can could did do does for from had has have he her his how i if in into is it its ' +
    'me my of on or our s she so t than that the their them then there these they this those to us was we were what ' +
    'when where which who whom why will with would you your'
  ).split(' '),
);

/** The words of a query as the index's tokenizer sees them: letters, digits and marks, lower-cased. */
export function queryWords(text: string): string[] {
  const words = text.normalize('NFKC').toLowerCase().match(/[\p{L}\p{N}\p{M}]+/gu) ?? [];
  return [...new Set(words)];
}

/** The FTS5 MATCH expression for a query, or undefined when it has no words at all (only punctuation). */
export function ftsQuery(text: string): string | undefined {
  const words = queryWords(text);
  if (words.length === 0) return undefined;
  const meaningful = words.filter((word) => !stopWords.has(word));
  const chosen = (meaningful.length > 0 ? meaningful : words).slice(0, maxQueryWords);
  // Words never contain a double quote (see queryWords), so quoting needs no escaping.
  return chosen.map((word) => `"${word}"`).join(' OR ');
}
