/**
 * What a child signature circuit (`document-a-signer` of an acte, `pes-a-signer` of a PES flow) must show once
 * its parent was abandoned: abandoned, no action left, the interruption recorded, a late signature refused.
 */
import assert from 'node:assert/strict';
import type { Client } from './test-app.ts';

export async function assertChildCircuitStopped(
  signer: Client,
  childUrl: string,
  expectedComment: string,
  lateSignature: { sessionId: string; signatureValues: string[] },
): Promise<void> {
  const res = await signer.request('GET', childUrl);
  assert.equal(res.statusCode, 200, res.body);
  const view = res.json() as { dossier: { state: string }; parapheurActions: unknown[]; acts: { action: string; comment: string | null }[] };
  assert.equal(view.dossier.state, 'abandonne');
  assert.deepEqual(view.parapheurActions, []);
  assert.equal(view.acts.at(-1)!.action, 'interrompre');
  assert.equal(view.acts.at(-1)!.comment, expectedComment);
  const late = await signer.request('POST', `${childUrl}/signature/complete`, lateSignature);
  assert.equal(late.statusCode, 409, late.body);
  assert.match((late.json() as { message: string }).message, /L’action « Signer » n’est pas possible dans l’état « Abandonné »/);
}
