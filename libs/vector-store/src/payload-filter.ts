import { InvalidInputError } from '@tessera/common';
import { normalisePointId } from './point-validation';
import type { Condition, Filter, Payload, PointId, Range } from './vector-store.types';

export type PointPredicate = (id: PointId, payload: Payload | null | undefined) => boolean;

const MATCHABLE = (v: unknown): boolean => typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';

/**
 * Compiles a Qdrant filter into a predicate, checking its shape first so a malformed condition is
 * a typed error naming where it is, before any point is scanned. Semantics follow Qdrant: a field
 * holding an array matches when any element does; a missing field matches no match/range condition.
 */
export function compileFilter(filter: Filter | null | undefined): PointPredicate | undefined {
  if (filter === undefined || filter === null) return undefined;
  return compileFilterAt(filter, 'filter');
}

function asList(c: Condition | Condition[] | null | undefined): Condition[] {
  if (c === undefined || c === null) return [];
  return Array.isArray(c) ? c : [c];
}

function compileFilterAt(filter: Filter, where: string): PointPredicate {
  if (typeof filter !== 'object' || Array.isArray(filter)) {
    throw new InvalidInputError(`${where} must be an object with must/should/must_not`, { field: where });
  }
  for (const k of Object.keys(filter)) {
    if (!['must', 'should', 'must_not'].includes(k)) {
      throw new InvalidInputError(`${where}.${k} is not a filter clause (use must, should or must_not)`, {
        field: `${where}.${k}`,
      });
    }
  }
  const must = asList(filter.must).map((c, i) => compileCondition(c, `${where}.must[${i}]`));
  const should = asList(filter.should).map((c, i) => compileCondition(c, `${where}.should[${i}]`));
  const mustNot = asList(filter.must_not).map((c, i) => compileCondition(c, `${where}.must_not[${i}]`));
  return (id, payload) => {
    for (const p of must) if (!p(id, payload)) return false;
    for (const p of mustNot) if (p(id, payload)) return false;
    if (should.length > 0) {
      for (const p of should) if (p(id, payload)) return true;
      return false;
    }
    return true;
  };
}

function compileCondition(c: Condition, where: string): PointPredicate {
  if (typeof c !== 'object' || c === null || Array.isArray(c)) {
    throw new InvalidInputError(`${where} must be a condition object`, { field: where });
  }
  if ('has_id' in c) {
    if (!Array.isArray(c.has_id))
      throw new InvalidInputError(`${where}.has_id must be a list of ids`, { field: where });
    const ids = new Set(c.has_id.map((id, i) => normalisePointId(id, `${where}.has_id[${i}]`)));
    return (id) => ids.has(id);
  }
  if ('key' in c) return compileFieldCondition(c, where);
  if ('is_empty' in c) {
    const key = fieldKey((c.is_empty as { key?: unknown })?.key, `${where}.is_empty`);
    return (_id, payload) => isEmptyAt(payload, key);
  }
  if ('is_null' in c) {
    const key = fieldKey((c.is_null as { key?: unknown })?.key, `${where}.is_null`);
    return (_id, payload) => isNullAt(payload, key);
  }
  if ('must' in c || 'should' in c || 'must_not' in c) return compileFilterAt(c as Filter, where);
  throw new InvalidInputError(
    `${where} is not a known condition (expected key, has_id, is_empty, is_null or a nested filter)`,
    {
      field: where,
    },
  );
}

function fieldKey(key: unknown, where: string): string[] {
  if (typeof key !== 'string' || key.length === 0) {
    throw new InvalidInputError(`${where}: the condition names no payload field (key is missing or empty)`, {
      field: where,
    });
  }
  return key.split('.');
}

function compileFieldCondition(c: Condition & { key: unknown }, where: string): PointPredicate {
  const fc = c as { key: unknown; match?: unknown; range?: unknown; is_empty?: unknown; is_null?: unknown };
  const path = fieldKey(fc.key, where);
  const checks: ((values: unknown[], payload: Payload | null | undefined) => boolean)[] = [];
  if (fc.match !== undefined && fc.match !== null)
    checks.push(compileMatch(fc.match, `${where}.match`, String(fc.key)));
  if (fc.range !== undefined && fc.range !== null)
    checks.push(compileRange(fc.range, `${where}.range`, String(fc.key)));
  if (fc.is_empty === true) checks.push((_v, p) => isEmptyAt(p, path));
  if (fc.is_null === true) checks.push((_v, p) => isNullAt(p, path));
  if (checks.length === 0) {
    throw new InvalidInputError(
      `${where}: condition on field '${String(fc.key)}' has no match, range, is_empty or is_null`,
      {
        field: String(fc.key),
      },
    );
  }
  const fast = fastMatch(fc, path);
  if (fast) return fast;
  return (_id, payload) => {
    const values = valuesAt(payload, path);
    for (const check of checks) if (!check(values, payload)) return false;
    return true;
  };
}

/**
 * The common case, one top-level key with match.value, match.any or a range, without building value arrays:
 * filtered search scans every payload, so this is its inner loop.
 */
function fastMatch(
  fc: { match?: unknown; range?: unknown; is_empty?: unknown; is_null?: unknown },
  path: string[],
): PointPredicate | undefined {
  if (path.length !== 1 || path[0].endsWith('[]') || fc.is_empty !== undefined || fc.is_null !== undefined)
    return undefined;
  const key = path[0];
  const match = fc.match as { value?: unknown } | undefined | null;
  if (match && 'value' in match && (fc.range === undefined || fc.range === null)) {
    const want = match.value;
    return (_id, payload) => {
      const v = payload?.[key];
      return v === want || (Array.isArray(v) && v.includes(want));
    };
  }
  const any = (match as { any?: unknown } | undefined | null)?.any;
  if (match && 'any' in match && Array.isArray(any) && (fc.range === undefined || fc.range === null)) {
    // The list was validated with the full condition; a Set keeps long lists (lexical keys) cheap.
    const wanted = new Set(any);
    return (_id, payload) => {
      const v = payload?.[key];
      if (!Array.isArray(v)) return wanted.has(v);
      for (const x of v) if (wanted.has(x)) return true;
      return false;
    };
  }
  const range = fc.range as Range | undefined | null;
  if (range && (match === undefined || match === null)) {
    const gt = range.gt ?? -Infinity;
    const gte = range.gte ?? -Infinity;
    const lt = range.lt ?? Infinity;
    const lte = range.lte ?? Infinity;
    const ok = (x: unknown): boolean => typeof x === 'number' && x > gt && x >= gte && x < lt && x <= lte;
    return (_id, payload) => {
      const v = payload?.[key];
      return Array.isArray(v) ? v.some(ok) : ok(v);
    };
  }
  return undefined;
}

function compileMatch(m: unknown, where: string, key: string): (values: unknown[]) => boolean {
  const match = m as { value?: unknown; any?: unknown; except?: unknown };
  if ('value' in match) {
    if (!MATCHABLE(match.value)) {
      throw new InvalidInputError(`${where}.value for field '${key}' must be a string, integer or boolean`, {
        field: key,
      });
    }
    const want = match.value;
    return (values) => values.some((v) => v === want);
  }
  if ('any' in match || 'except' in match) {
    const list = (match.any ?? match.except) as unknown;
    if (!Array.isArray(list) || !list.every(MATCHABLE)) {
      throw new InvalidInputError(`${where} for field '${key}' must be a list of strings, integers or booleans`, {
        field: key,
      });
    }
    const set = new Set(list);
    if ('any' in match) return (values) => values.some((v) => set.has(v));
    // literal reading of Qdrant's spec: at least one stored value outside the list (none stored: no match)
    return (values) => values.some((v) => !set.has(v));
  }
  throw new InvalidInputError(`${where} for field '${key}' needs value, any or except`, { field: key });
}

function compileRange(r: unknown, where: string, key: string): (values: unknown[]) => boolean {
  const range = r as Record<string, unknown>;
  const bounds: [string, number][] = [];
  for (const [k, v] of Object.entries(range)) {
    if (v === null || v === undefined) continue;
    if (!['gt', 'gte', 'lt', 'lte'].includes(k)) {
      throw new InvalidInputError(`${where}.${k} for field '${key}' is not a range bound (gt, gte, lt, lte)`, {
        field: key,
      });
    }
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      throw new InvalidInputError(`${where}.${k} for field '${key}' must be a finite number`, { field: key });
    }
    bounds.push([k, v]);
  }
  if (bounds.length === 0) throw new InvalidInputError(`${where} for field '${key}' has no bound`, { field: key });
  const inRange = (x: number): boolean =>
    bounds.every(([k, b]) => (k === 'gt' ? x > b : k === 'gte' ? x >= b : k === 'lt' ? x < b : x <= b));
  return (values) => values.some((v) => typeof v === 'number' && inRange(v));
}

/** Values at a dotted key (`a.b`, `a[].b`), arrays flattened one level as Qdrant does. */
function valuesAt(payload: Payload | null | undefined, path: string[]): unknown[] {
  let current: unknown[] = [payload ?? {}];
  for (const rawSeg of path) {
    const flatten = rawSeg.endsWith('[]');
    const seg = flatten ? rawSeg.slice(0, -2) : rawSeg;
    const next: unknown[] = [];
    for (const v of current) {
      if (v === null || typeof v !== 'object' || Array.isArray(v)) continue;
      if (!Object.prototype.hasOwnProperty.call(v, seg)) continue;
      const child = (v as Record<string, unknown>)[seg];
      if (flatten && Array.isArray(child)) next.push(...child);
      else next.push(child);
    }
    current = next;
  }
  const out: unknown[] = [];
  for (const v of current) {
    if (Array.isArray(v)) out.push(...v);
    else out.push(v);
  }
  return out;
}

function isEmptyAt(payload: Payload | null | undefined, path: string[]): boolean {
  return valuesAt(payload, path).every((v) => v === null);
}

function isNullAt(payload: Payload | null | undefined, path: string[]): boolean {
  const values = valuesAt(payload, path);
  return values.length > 0 && values.every((v) => v === null);
}
