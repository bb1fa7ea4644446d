import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';

const host = hostname();

/** A new claim owner: this host and process, and a random part so no two claims share an owner. */
export function newClaimOwner(): string {
  return `${host}:${process.pid}:${randomUUID().slice(0, 8)}`;
}

/**
 * Whether the owner of a claim is a process of this host that no longer runs: its claim is taken
 * over at once instead of when its lease lapses. An owner on another host is judged by its lease.
 */
export function claimOwnerIsGone(owner: string): boolean {
  const [ownerHost, pid] = owner.split(':');
  if (ownerHost !== host || !pid || !/^\d+$/.test(pid)) return false;
  try {
    process.kill(Number(pid), 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH'; // EPERM: it runs, as another user
  }
}
