/**
 * `npm run bench -- NAME [args]`: runs bench/NAME.ts. Each benchmark prints its figures beside a reference
 * measured in the same run, as ratios, so results compare across machines.
 */
const [name, ...rest] = process.argv.slice(2);
if (!name) {
  console.error('usage: npm run bench -- <name> [args]   (e.g. dossiers, pades, xades, pes, webhooks)');
  process.exit(2);
}
if (!/^[a-z0-9-]+$/.test(name)) {
  console.error(`invalid benchmark name: ${name}`);
  process.exit(2);
}
const mod = (await import(`./${name}.ts`)) as { run: (args: string[]) => Promise<void> };
await mod.run(rest);
