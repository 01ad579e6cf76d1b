/**
 * Stored secrets are sealed with the platform key (src/platform/secrets): the webhook secret column then
 * holds `enc:v1:…`, so the few characters shown to recognise a secret get their own column. Values written
 * before this migration are sealed at start-up (src/app/seal-legacy-secrets.ts), which needs the key.
 * A webhook delivery may concern no dossier: the `ping` a collectivité sends to test its receiver.
 */
export const statements = [
  `alter table webhook_subscription add column secret_hint text not null default ''`,
  `update webhook_subscription set secret_hint = left(secret, 10) where secret not like 'enc:v1:%'`,
  `alter table webhook_delivery alter column dossier_id drop not null`,
  `alter table webhook_delivery alter column dossier_version drop not null`,
];
