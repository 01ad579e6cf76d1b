/**
 * The evidence journal is one hash chain per collectivité (and one for the operator's own events):
 * each entry's hash covers its content and the previous entry's hash, and the chain head records the
 * last sequence number, so editing, deleting (even the last entry) or reordering entries is detected.
 */
import { createHash } from 'node:crypto';

export const GENESIS_HASH = '0'.repeat(64);
export const OPERATOR_CHAIN = 'operator';

export interface ChainedEntry {
  chain: string;
  seq: number;
  collectiviteId: string | null;
  at: Date;
  actorUserId: string | null;
  actorTokenId: string | null;
  actorLabel: string;
  action: string;
  objectType: string;
  objectId: string | null;
  details: Record<string, unknown>;
  documentHashes: string[];
  prevHash: string;
}

/** JSON with sorted keys: the same content always gives the same bytes. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value ?? null);
  if (value instanceof Date) return JSON.stringify(value.toISOString());
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj).filter((k) => obj[k] !== undefined).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`).join(',')}}`;
}

export function entryHash(e: ChainedEntry): string {
  const content: Record<string, unknown> = {
    chain: e.chain, seq: e.seq, collectiviteId: e.collectiviteId, at: e.at.toISOString(),
    actorUserId: e.actorUserId, actorTokenId: e.actorTokenId, actorLabel: e.actorLabel, action: e.action,
    objectType: e.objectType, objectId: e.objectId, details: e.details, documentHashes: e.documentHashes, prevHash: e.prevHash,
  };
  return createHash('sha256').update(canonicalJson(content)).digest('hex');
}

export interface StoredEntry extends ChainedEntry {
  hash: string;
}

export interface ChainProblem {
  chain: string;
  seq: number;
  kind: 'edited' | 'broken-link' | 'missing' | 'head-mismatch' | 'timestamp-invalid' | 'timestamp-mismatch';
  messageFr: string;
}

/** Checks entries of one chain, given in seq order, against the recorded head. */
export function verifyChain(chain: string, entries: Iterable<StoredEntry>, head: { seq: number; hash: string } | null): ChainProblem[] {
  const problems: ChainProblem[] = [];
  let expectedSeq = 1;
  let prevHash = GENESIS_HASH;
  for (const e of entries) {
    if (e.seq !== expectedSeq) {
      problems.push({ chain, seq: expectedSeq, kind: 'missing', messageFr: `Entrée n° ${expectedSeq} absente (suivante : n° ${e.seq}).` });
    }
    if (e.prevHash !== prevHash) {
      problems.push({ chain, seq: e.seq, kind: 'broken-link', messageFr: `Entrée n° ${e.seq} : le lien avec l’entrée précédente est rompu (entrée supprimée ou déplacée).` });
    }
    if (entryHash(e) !== e.hash) {
      problems.push({ chain, seq: e.seq, kind: 'edited', messageFr: `Entrée n° ${e.seq} : son contenu a été modifié.` });
    }
    prevHash = e.hash;
    expectedSeq = e.seq + 1;
  }
  const lastSeq = expectedSeq - 1;
  if (head && (head.seq !== lastSeq || head.hash !== prevHash)) {
    problems.push({ chain, seq: head.seq, kind: 'head-mismatch', messageFr: `La tête de chaîne annonce ${head.seq} entrées, ${lastSeq} trouvées : des entrées finales ont été supprimées ou modifiées.` });
  }
  if (!head && lastSeq > 0) {
    problems.push({ chain, seq: lastSeq, kind: 'head-mismatch', messageFr: 'La tête de chaîne a disparu.' });
  }
  return problems;
}
