import { hash, verify } from '@node-rs/argon2';

// Algorithm.Argon2id (a const enum, not importable under verbatimModuleSyntax).
const ARGON2ID = 2;

/** Password hashing behind an interface (argon2id, OWASP's minimum parameters). */
export interface PasswordHasher {
  hash(password: string): Promise<string>;
  verify(hashed: string, password: string): Promise<boolean>;
}

export const argon2idHasher: PasswordHasher = {
  hash: (password) => hash(password, { algorithm: ARGON2ID, memoryCost: 19456, timeCost: 2, parallelism: 1 }),
  verify: async (hashed, password) => {
    try {
      return await verify(hashed, password);
    } catch {
      return false;
    }
  },
};
