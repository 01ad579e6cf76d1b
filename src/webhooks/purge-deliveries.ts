import type { Deps } from '../app/deps.ts';

/**
 * The delivery log is for following and retrying recent calls, not an archive (the evidence journal is):
 * settled deliveries (delivered or failed) older than the retention are deleted with their attempts. Pending
 * and waiting ones are kept whatever their age. Returns how many were deleted.
 */
export async function purgeWebhookDeliveries(deps: Deps, retentionDays: number): Promise<number> {
  const before = new Date(deps.clock.now().getTime() - retentionDays * 24 * 3600_000);
  const gone = await deps.db.deleteFrom('webhook_delivery').where('state', 'in', ['delivered', 'failed']).where('updated_at', '<', before).returning('id').execute();
  return gone.length;
}
