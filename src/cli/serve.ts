import type { Deps } from '../app/deps.ts';
import { buildApp } from '../http/app.ts';
import { startJobWorker } from '../platform/jobs/job-queue.ts';

/** Serves the API and runs background jobs until SIGINT/SIGTERM. */
export async function serve(deps: Deps, opts: { port: number; host: string }): Promise<string> {
  const app = await buildApp(deps, { logger: process.env.LOG_LEVEL !== 'silent' });
  const worker = startJobWorker(deps.db, deps.clock, deps.jobHandlers);
  const url = await app.listen({ port: opts.port, host: opts.host });
  const shutdown = async () => {
    await app.close();
    await worker.stop();
    await deps.db.destroy();
    process.exit(0);
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
  return url;
}
