import { resolve } from 'node:path';
import { z } from 'zod';
import { ConfigError } from './errors';

const TF_BACKENDS = ['auto', 'tensorflow-gpu', 'webgpu', 'tensorflow', 'wasm', 'cpu'] as const;
export type TfBackendChoice = (typeof TF_BACKENDS)[number];

const emptyToUndefined = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);
const optionalUrl = z.preprocess(emptyToUndefined, z.url().optional());
const int = (def: number, min = 0) => z.preprocess(emptyToUndefined, z.coerce.number().int().min(min).default(def));

/** Every environment variable Tessera reads, with its default. */
const envSchema = z.object({
  PORT: int(3000, 0).pipe(z.number().max(65535)),
  HOST: z.preprocess(emptyToUndefined, z.string().default('127.0.0.1')),
  TESSERA_DATA_DIR: z.preprocess(emptyToUndefined, z.string().default('data')),
  DATABASE_URL: z.preprocess(
    emptyToUndefined,
    z
      .string()
      .refine((v) => v.startsWith('sqlite:') || v.startsWith('file:') || v.startsWith('postgres'), {
        message: 'must start with sqlite:, file: or postgres:// (e.g. sqlite:data/tessera.db)',
      })
      .optional(),
  ),
  QDRANT_URL: optionalUrl,
  QDRANT_API_KEY: z.preprocess(emptyToUndefined, z.string().optional()),
  QDRANT_SHARDS: int(1, 1),
  QDRANT_REPLICATION_FACTOR: int(1, 1),
  QDRANT_WRITE_CONSISTENCY: int(1, 1),
  REDIS_URL: optionalUrl,
  TESSERA_TF_BACKEND: z.preprocess(emptyToUndefined, z.enum(TF_BACKENDS).default('auto')),
  // A software WebGPU adapter (lavapipe, SwiftShader) is slower than wasm: only for testing the GPU path.
  TESSERA_WEBGPU_ALLOW_SOFTWARE: z.preprocess(emptyToUndefined, z.enum(['0', '1', 'false', 'true']).default('0')),
  TESSERA_API_KEYS: z.preprocess(emptyToUndefined, z.string().optional()),
  TESSERA_MAX_UPLOAD_BYTES: int(200 * 1024 * 1024, 1),
  TESSERA_MAX_JSON_BYTES: int(1024 * 1024, 1),
  TESSERA_MAX_IMAGE_PIXELS: int(50_000_000, 1),
  TESSERA_MAX_VIDEO_SECONDS: int(3 * 3600, 1),
  TESSERA_RATE_LIMIT_PER_MINUTE: int(600, 1),
  LOG_LEVEL: z.preprocess(
    emptyToUndefined,
    z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  ),
});

export interface TesseraConfig {
  port: number;
  host: string;
  dataDir: string;
  database: { kind: 'sqlite'; path: string } | { kind: 'postgres'; url: string };
  qdrant?: { url: string; apiKey?: string; shards: number; replicationFactor: number; writeConsistency: number };
  redisUrl?: string;
  tfBackend: TfBackendChoice;
  /** Accept a software WebGPU adapter (TESSERA_WEBGPU_ALLOW_SOFTWARE=1); tests of the GPU path only. */
  webgpuAllowSoftware?: boolean;
  apiKeys: string[];
  limits: {
    uploadBytes: number;
    jsonBytes: number;
    imagePixels: number;
    videoSeconds: number;
    requestsPerMinute: number;
  };
  logLevel: string;
}

/** DI token: the validated configuration. */
export abstract class AppConfig {
  static readonly TOKEN = 'TESSERA_CONFIG';
}

/**
 * Validate the environment once, listing every bad key at the same time.
 * Throws ConfigError; entry points print it and exit non-zero.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): TesseraConfig {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new ConfigError(`invalid configuration:\n  ${problems.join('\n  ')}`, { problems });
  }
  const e = parsed.data;
  const dataDir = resolve(e.TESSERA_DATA_DIR);
  let database: TesseraConfig['database'];
  if (!e.DATABASE_URL) database = { kind: 'sqlite', path: resolve(dataDir, 'tessera.db') };
  else if (e.DATABASE_URL.startsWith('postgres')) database = { kind: 'postgres', url: e.DATABASE_URL };
  else database = { kind: 'sqlite', path: resolve(e.DATABASE_URL.replace(/^(sqlite|file):(\/\/)?/, '')) };
  return {
    port: e.PORT,
    host: e.HOST,
    dataDir,
    database,
    qdrant: e.QDRANT_URL
      ? {
          url: e.QDRANT_URL,
          apiKey: e.QDRANT_API_KEY,
          shards: e.QDRANT_SHARDS,
          replicationFactor: e.QDRANT_REPLICATION_FACTOR,
          writeConsistency: e.QDRANT_WRITE_CONSISTENCY,
        }
      : undefined,
    redisUrl: e.REDIS_URL,
    tfBackend: e.TESSERA_TF_BACKEND,
    webgpuAllowSoftware: e.TESSERA_WEBGPU_ALLOW_SOFTWARE === '1' || e.TESSERA_WEBGPU_ALLOW_SOFTWARE === 'true',
    apiKeys: (e.TESSERA_API_KEYS ?? '')
      .split(',')
      .map((k) => k.trim())
      .filter(Boolean),
    limits: {
      uploadBytes: e.TESSERA_MAX_UPLOAD_BYTES,
      jsonBytes: e.TESSERA_MAX_JSON_BYTES,
      imagePixels: e.TESSERA_MAX_IMAGE_PIXELS,
      videoSeconds: e.TESSERA_MAX_VIDEO_SECONDS,
      requestsPerMinute: e.TESSERA_RATE_LIMIT_PER_MINUTE,
    },
    logLevel: e.LOG_LEVEL,
  };
}
