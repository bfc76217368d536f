import type { RollgateConfig } from '../src/config/types.ts';

const RANK: Readonly<Record<string, number>> = {
  none: 0,
  read: 1,
  triage: 2,
  write: 3,
  maintain: 4,
  admin: 5,
};

/** Whether a collaborator's role (GitHub's `role_name`) reaches the configured level. */
export function hasPermission(role: string, required: RollgateConfig['commands']['permission']): boolean {
  return (RANK[role] ?? 0) >= (RANK[required] ?? RANK.write ?? 3);
}
