import { DimensionMismatchError, InvalidInputError } from '@tessera/common';
import type { Payload, PointId, VectorParams } from './vector-store.types';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,254}$/;

/** Qdrant accepts unsigned integers and UUIDs; we refuse anything else up front so both stores agree. */
export function normalisePointId(id: unknown, where = 'point id'): PointId {
  if (typeof id === 'number') {
    if (Number.isSafeInteger(id) && id >= 0) return id;
  } else if (typeof id === 'string' && UUID.test(id)) {
    return id.toLowerCase();
  }
  throw new InvalidInputError(`${where} ${JSON.stringify(id)} is not an unsigned integer or a UUID`, { id });
}

/**
 * A text key that sorts in Qdrant's id order: integers (ascending) before UUIDs (by their bytes).
 * Used as the SQLite primary key, so scroll pages come out of the index in order.
 */
export function pointIdKey(id: PointId): string {
  return typeof id === 'number' ? `0${id.toString().padStart(16, '0')}` : `1${id}`;
}

export function pointIdFromKey(key: string): PointId {
  return key[0] === '0' ? Number(key.slice(1)) : key.slice(1);
}

export function validateCollectionName(name: unknown, what = 'collection'): string {
  if (typeof name !== 'string' || !NAME.test(name)) {
    throw new InvalidInputError(`${what} name ${JSON.stringify(name)} must be 1-255 characters of A-Z a-z 0-9 _ . -`, {
      name,
    });
  }
  return name;
}

export function validateVectorParams(params: VectorParams, where: string): VectorParams {
  if (!params || !Number.isSafeInteger(params.size) || params.size < 1 || params.size > 65536) {
    throw new InvalidInputError(`${where}: size must be an integer in 1..65536`, { size: params?.size });
  }
  if (!['Cosine', 'Dot', 'Euclid'].includes(params.distance)) {
    throw new InvalidInputError(`${where}: distance must be Cosine, Dot or Euclid`, { distance: params.distance });
  }
  return { size: params.size, distance: params.distance };
}

/** Copies a vector to float32, refusing wrong sizes and non-finite numbers (named by index). */
export function toFloat32Vector(vector: unknown, size: number, where: string): Float32Array {
  if (!Array.isArray(vector) && !(vector instanceof Float32Array) && !(vector instanceof Float64Array)) {
    throw new InvalidInputError(`${where}: vector must be an array of numbers`, {});
  }
  const v = vector as ArrayLike<number>;
  if (v.length !== size) {
    throw new DimensionMismatchError(`${where}: vector has ${v.length} dimensions, the collection expects ${size}`, {
      expected: size,
      actual: v.length,
    });
  }
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) {
    const x = v[i];
    if (typeof x !== 'number' || !Number.isFinite(x)) {
      throw new InvalidInputError(`${where}: vector[${i}] is ${String(x)}, not a finite number`, { index: i });
    }
    out[i] = x;
    // float32 overflow turns a finite double into Infinity
    if (!Number.isFinite(out[i])) {
      throw new InvalidInputError(`${where}: vector[${i}] = ${x} overflows float32`, { index: i });
    }
  }
  return out;
}

/**
 * Payloads must survive a JSON round trip unchanged in meaning: plain objects, arrays, strings,
 * finite numbers, booleans and null. Returns the canonical JSON text.
 */
export function serialisePayload(payload: unknown, where: string): string {
  if (payload === undefined || payload === null) return '{}';
  if (typeof payload !== 'object' || Array.isArray(payload)) {
    throw new InvalidInputError(`${where}: payload must be a JSON object`, {});
  }
  checkJsonValue(payload, where, 'payload', new Set());
  return JSON.stringify(payload);
}

function checkJsonValue(value: unknown, where: string, path: string, seen: Set<object>): void {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return;
  if (typeof value === 'number') {
    if (!Number.isFinite(value))
      throw new InvalidInputError(`${where}: ${path} is ${value}, not JSON`, { field: path });
    return;
  }
  if (typeof value !== 'object') {
    throw new InvalidInputError(`${where}: ${path} is a ${typeof value}, not JSON-serialisable`, { field: path });
  }
  if (seen.has(value)) throw new InvalidInputError(`${where}: ${path} is a circular reference`, { field: path });
  const proto = Object.getPrototypeOf(value);
  if (Array.isArray(value)) {
    seen.add(value);
    value.forEach((v, i) => checkJsonValue(v, where, `${path}[${i}]`, seen));
    seen.delete(value);
    return;
  }
  if (proto !== Object.prototype && proto !== null) {
    throw new InvalidInputError(`${where}: ${path} is a ${proto?.constructor?.name ?? 'non-plain'} object, not JSON`, {
      field: path,
    });
  }
  seen.add(value);
  for (const [k, v] of Object.entries(value)) {
    if (v === undefined)
      throw new InvalidInputError(`${where}: ${path}.${k} is undefined, not JSON`, { field: `${path}.${k}` });
    checkJsonValue(v, where, `${path}.${k}`, seen);
  }
  seen.delete(value);
}

export function parsePayload(text: string): Payload {
  return JSON.parse(text) as Payload;
}

export function describePointId(id: unknown): string {
  return typeof id === 'string' || typeof id === 'number' ? String(id) : JSON.stringify(id);
}
