import { type Kysely, sql } from 'kysely';

/**
 * Forgets every recorded email. Since people are found by email only when their provider said
 * it verified the address (`email_verified` true, OpenID Connect Core §5.7), an email is recorded
 * from such a token alone; the rows written before recorded any `email` claim, verified or not,
 * and nothing tells them apart. Such a row kept someone who typed another person's address at a
 * provider that does not check it as the one the address named, receiving what is shared with
 * it. Each person's email comes back, if verified, with their next write; until then they are
 * found by username. There is no way down: the addresses cannot be told apart again.
 */
export const unverifiedEmails = {
  async up(db: Kysely<unknown>): Promise<void> {
    await sql`update owners set email = null where email is not null`.execute(db);
  },
  async down(): Promise<void> {},
};
