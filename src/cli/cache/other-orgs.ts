import { hasFilter, selectEntries, type EntryFilter, type SelectContext } from '../../cache/filters.js';
import type { RecordingStore } from '../../cache/types.js';
import { entries, plural } from './common.js';

/** What other orgs hold: the entries that match, and in how many orgs. */
export interface OtherOrgs {
  entries: number;
  orgs: number;
}

/**
 * The entries other orgs hold that match the filter. Asked only when a command limited to one org
 * found nothing there, so a cache whose recordings sit in other orgs (one org per test, as
 * `isolate({ org: true })` does) is not mistaken for an empty one.
 */
export async function countOtherOrgs(store: RecordingStore, org: string, filter: EntryFilter, context: SelectContext): Promise<OtherOrgs> {
  if (!(await store.exists())) return { entries: 0, orgs: 0 };
  const selection = await selectEntries(store, undefined, filter, context);
  const orgs = new Set<string>();
  let count = 0;
  for (const entry of selection.entries) {
    if (entry.org === org) continue;
    count++;
    orgs.add(entry.org);
  }
  return { entries: count, orgs: orgs.size };
}

/**
 * "0 entries in org default; 102 entries in 26 other orgs: add --all-orgs." (nothing when the other
 * orgs hold none). `orgGiven`: the org came from --org, which --all-orgs replaces.
 */
export function otherOrgsNote(org: string, filter: EntryFilter, other: OtherOrgs, orgGiven: boolean): string[] {
  if (other.entries === 0) return [];
  const where = `${entries(other.entries)} in ${plural(other.orgs, 'other org')}`;
  const advice = orgGiven ? 'use --all-orgs instead of --org' : 'add --all-orgs';
  return [hasFilter(filter) ? `None match in org ${org}; ${where} match: ${advice}.` : `0 entries in org ${org}; ${where}: ${advice}.`];
}

export function otherOrgsJson(other: OtherOrgs) {
  return { other_orgs: { entries: other.entries, orgs: other.orgs } };
}
