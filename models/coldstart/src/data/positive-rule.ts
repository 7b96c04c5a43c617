import type { Interaction, PositiveRule } from './cold-start.types';

export const MOVIELENS_POSITIVE: PositiveRule = { kind: 'threshold', min: 4 };
export const JESTER_POSITIVE: PositiveRule = { kind: 'threshold', min: 3.5 };
export const IMPLICIT_POSITIVE: PositiveRule = { kind: 'implicit' };

export function isPositive(rule: PositiveRule, x: Interaction): boolean {
  if (rule.kind === 'implicit') return true;
  return x.rating !== undefined && x.rating >= rule.min;
}
