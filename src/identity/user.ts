import { z } from 'zod';
import { COLLECTIVITE_ROLES, OPERATOR_ROLES, ROLE_LABELS_FR } from './roles.ts';

export const passwordSchema = z.string().min(12, 'Le mot de passe doit contenir au moins 12 caractères.').max(200);

export const newUserInput = z.object({
  email: z.email('Adresse e-mail invalide.').transform((e) => e.toLowerCase()),
  displayName: z.string().trim().min(2, 'Le nom est obligatoire.').max(200),
  password: passwordSchema.optional(),
  role: z.enum(COLLECTIVITE_ROLES, { error: 'Rôle inconnu.' }),
});
export type NewUserInput = z.infer<typeof newUserInput>;

export const operatorUserInput = newUserInput.omit({ role: true }).extend({ operatorRole: z.enum(OPERATOR_ROLES, { error: 'Rôle inconnu.' }) });

export const memberView = z.object({
  userId: z.string(),
  email: z.string(),
  displayName: z.string(),
  role: z.string(),
  roleLabel: z.string(),
  disabled: z.boolean(),
});
export type MemberView = z.infer<typeof memberView>;

export function presentMember(r: { id: string; email: string; display_name: string; role: string; disabled: boolean }): MemberView {
  return { userId: r.id, email: r.email, displayName: r.display_name, role: r.role, roleLabel: ROLE_LABELS_FR[r.role as keyof typeof ROLE_LABELS_FR] ?? r.role, disabled: r.disabled };
}
