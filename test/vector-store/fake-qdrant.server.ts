import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { isTesseraError } from '@tessera/common';
import {
  EmbeddedVectorStore,
  type CreateCollectionParams,
  type Filter,
  type PointStruct,
  type RecommendStrategy,
  type ScoredPoint,
  type PointRecord,
} from '@tessera/vector-store';

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  body: unknown;
}

type Json = Record<string, unknown>;
type Handler = (params: string[], body: Json, query: Record<string, string>) => Promise<unknown>;

interface Route {
  method: string;
  pattern: RegExp;
  /** Path template as written in the OpenAPI document. */
  template: string;
  handle: Handler;
}

/**
 * A small Qdrant look-alike for the contract suite: every request body and every response is
 * checked against the schemas in Qdrant's own OpenAPI document, and anything off is recorded in
 * `violations` (requests that fail are answered 400 as Qdrant would). Search and filter semantics
 * come from the embedded store's exact path, so the fake and the embedded store agree by
 * construction and the suite tests the adapter's mapping.
 */
export class FakeQdrantServer {
  readonly requests: RecordedRequest[] = [];
  readonly violations: string[] = [];
  private readonly store = new EmbeddedVectorStore({ exactThreshold: Number.POSITIVE_INFINITY });
  private readonly clusterParams = new Map<
    string,
    { shard_number: number; replication_factor: number; write_consistency_factor: number }
  >();
  private readonly ajv: Ajv;
  private readonly validators = new Map<string, ValidateFunction>();
  private readonly routes: Route[];
  private server: Server | undefined;
  private failures: { count: number; status: number; pathIncludes?: string } | undefined;

  constructor(openApiPath: string) {
    const doc = toJsonSchemaNullable(JSON.parse(readFileSync(openApiPath, 'utf8'))) as Json;
    this.ajv = new Ajv({ strict: false, allErrors: true, validateFormats: true });
    addFormats(this.ajv);
    for (const f of ['float', 'double', 'int64', 'uint', 'uint32', 'uint64', 'uint8', 'partial-date-time']) {
      this.ajv.addFormat(f, true);
    }
    this.ajv.addSchema(doc, 'qdrant');
    this.routes = this.buildRoutes(doc);
  }

  /** The next `count` requests (optionally only those whose path contains `pathIncludes`) fail with `status`. */
  failNext(count: number, status: number, pathIncludes?: string): void {
    this.failures = { count, status, pathIncludes };
  }

  async start(): Promise<string> {
    this.server = createServer((req, res) => void this.serve(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    const { port } = this.server.address() as AddressInfo;
    return `http://127.0.0.1:${port}`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    await this.store.close();
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake');
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    let body: Json = {};
    try {
      body = text ? (JSON.parse(text) as Json) : {};
    } catch {
      return this.reply(res, 400, { status: { error: 'body is not JSON' } });
    }
    const query = Object.fromEntries(url.searchParams.entries());
    this.requests.push({ method: req.method ?? 'GET', path: url.pathname, query, body });
    const f = this.failures;
    if (f && f.count > 0 && (!f.pathIncludes || url.pathname.includes(f.pathIncludes))) {
      f.count--;
      return this.reply(res, f.status, { status: { error: `injected failure ${f.status}` }, time: 0 });
    }
    for (const route of this.routes) {
      if (route.method !== req.method) continue;
      const m = route.pattern.exec(url.pathname);
      if (!m) continue;
      const key = `${route.method} ${route.template}`;
      const reqCheck = this.validators.get(`${key} request`);
      if (reqCheck && !reqCheck(body)) {
        const msg = `${key} request does not match the OpenAPI schema: ${this.ajv.errorsText(reqCheck.errors)}`;
        this.violations.push(msg);
        return this.reply(res, 400, { status: { error: msg }, time: 0 });
      }
      try {
        const result = await route.handle(m.slice(1).map(decodeURIComponent), body, query);
        const payload = route.template === '/' ? result : { result, status: 'ok', time: 0.0001 };
        const resCheck = this.validators.get(`${key} response`);
        if (resCheck && !resCheck(payload)) {
          this.violations.push(
            `${key} response does not match the OpenAPI schema: ${this.ajv.errorsText(resCheck.errors)}`,
          );
        }
        return this.reply(res, 200, payload);
      } catch (e) {
        const status = isTesseraError(e)
          ? (({ not_found: 404, conflict: 409 } as Record<string, number>)[e.code] ?? 400)
          : 500;
        return this.reply(res, status, { status: { error: (e as Error).message }, time: 0 });
      }
    }
    this.violations.push(`no route for ${req.method} ${url.pathname}`);
    return this.reply(res, 404, { status: { error: `no route for ${req.method} ${url.pathname}` }, time: 0 });
  }

  private reply(res: ServerResponse, status: number, body: unknown): void {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  }

  private buildRoutes(doc: Json): Route[] {
    const s = this.store;
    const route = (method: string, template: string, handle: Handler): Route => {
      const op = ((doc.paths as Json)[template] as Json | undefined)?.[method.toLowerCase()] as Json | undefined;
      if (!op) throw new Error(`${method} ${template} is not in the OpenAPI document`);
      const reqSchema = (
        ((op.requestBody as Json | undefined)?.content as Json | undefined)?.['application/json'] as Json | undefined
      )?.schema;
      const resSchema = ((((op.responses as Json)['200'] as Json).content as Json)['application/json'] as Json).schema;
      if (reqSchema) this.validators.set(`${method} ${template} request`, this.compile(reqSchema as Json));
      this.validators.set(`${method} ${template} response`, this.compile(resSchema as Json));
      const pattern = new RegExp(`^${template.replace(/\{[a-z_]+\}/g, '([^/]+)')}$`);
      return { method, template, pattern, handle };
    };
    const C = '/collections/{collection_name}';
    return [
      route('GET', '/', async () => ({ title: 'qdrant - vector search engine (fake)', version: '1.18.0' })),
      route('GET', '/collections', async () => ({
        collections: (await s.listCollections()).map((name) => ({ name })),
      })),
      route('POST', '/collections/aliases', async (_p, body) => {
        const ops = (body.actions as Json[]).map((a) => {
          if (a.create_alias) {
            const c = a.create_alias as Json;
            return { createAlias: { alias: String(c.alias_name), collection: String(c.collection_name) } };
          }
          if (a.delete_alias) return { deleteAlias: { alias: String((a.delete_alias as Json).alias_name) } };
          const r = a.rename_alias as Json;
          return { renameAlias: { from: String(r.old_alias_name), to: String(r.new_alias_name) } };
        });
        await s.updateAliases(ops);
        return true;
      }),
      route('GET', '/aliases', async () => ({
        aliases: (await s.listAliases()).map((a) => ({ alias_name: a.alias, collection_name: a.collection })),
      })),
      route('GET', `${C}/exists`, async ([name]) => ({ exists: await s.collectionExists(name) })),
      route('PUT', C, async ([name], body) => {
        await s.createCollection(name, { vectors: body.vectors as CreateCollectionParams['vectors'] });
        this.clusterParams.set(name, {
          shard_number: Number(body.shard_number ?? 1),
          replication_factor: Number(body.replication_factor ?? 1),
          write_consistency_factor: Number(body.write_consistency_factor ?? 1),
        });
        return true;
      }),
      route('DELETE', C, async ([name]) => s.deleteCollection(name)),
      route('GET', C, async ([name]) => {
        const info = await s.getCollection(name);
        return {
          status: 'green',
          optimizer_status: 'ok',
          segments_count: 1,
          points_count: info.pointsCount,
          indexed_vectors_count: 0,
          payload_schema: {},
          config: {
            params: { vectors: info.vectors, ...(this.clusterParams.get(info.name) ?? {}), on_disk_payload: true },
            hnsw_config: { m: 16, ef_construct: 100, full_scan_threshold: 10000 },
            optimizer_config: {
              default_segment_number: 0,
              flush_interval_sec: 5,
              deleted_threshold: 0.2,
              vacuum_min_vector_number: 1000,
            },
            wal_config: { wal_capacity_mb: 32, wal_segments_ahead: 0 },
          },
        };
      }),
      route('PUT', `${C}/points`, async ([name], body) => {
        if (!Array.isArray(body.points)) throw new Error('only the PointsList form is implemented by the fake');
        await s.upsert(name, body.points as PointStruct[], { batchSize: 100_000 });
        return { operation_id: this.requests.length, status: 'completed' };
      }),
      route('POST', `${C}/points/delete`, async ([name], body) => {
        await s.delete(
          name,
          Array.isArray(body.points) ? { ids: body.points as never } : { filter: body.filter as Filter },
        );
        return { operation_id: this.requests.length, status: 'completed' };
      }),
      route('POST', `${C}/points`, async ([name], body) =>
        (await s.get(name, body.ids as never, readOpts(body, true))).map((p) => record(p)),
      ),
      route('POST', `${C}/points/scroll`, async ([name], body) => {
        const r = await s.scroll(name, {
          filter: body.filter as Filter | undefined,
          limit: (body.limit as number | undefined) ?? 10,
          offset: (body.offset as never) ?? null,
          ...readOpts(body, true),
        });
        return { points: r.points.map(record), next_page_offset: r.nextPageOffset };
      }),
      route('POST', `${C}/points/count`, async ([name], body) => ({
        count: await s.count(name, body.filter as Filter | undefined),
      })),
      route('POST', `${C}/points/query`, async ([name], body) => ({
        points: (await this.query(name, body)).map(scored),
      })),
      route('POST', `${C}/points/query/batch`, async ([name], body) => {
        const out = [];
        for (const q of body.searches as Json[]) out.push({ points: (await this.query(name, q)).map(scored) });
        return out;
      }),
    ];
  }

  /** Inline schemas refer to components of the document registered as 'qdrant'. */
  private compile(schema: Json): ValidateFunction {
    return this.ajv.compile(
      JSON.parse(JSON.stringify(schema).replaceAll('"#/components/', '"qdrant#/components/')) as Json,
    );
  }

  private async query(name: string, body: Json): Promise<ScoredPoint[]> {
    const common = {
      using: body.using as string | undefined,
      limit: (body.limit as number | undefined) ?? 10,
      offset: (body.offset as number | undefined) ?? 0,
      filter: body.filter as Filter | undefined,
      scoreThreshold: body.score_threshold as number | undefined,
      ...readOpts(body, false),
    };
    const q = body.query as unknown;
    if (Array.isArray(q)) return this.store.search(name, { ...common, vector: q as number[] });
    const obj = (q ?? {}) as Json;
    if (Array.isArray(obj.nearest)) return this.store.search(name, { ...common, vector: obj.nearest as number[] });
    if (obj.recommend) {
      const r = obj.recommend as Json;
      return this.store.recommend(name, {
        ...common,
        positive: (r.positive as never) ?? [],
        negative: (r.negative as never) ?? [],
        strategy: (r.strategy as RecommendStrategy | undefined) ?? 'average_vector',
      });
    }
    throw new Error('the fake implements only raw-vector, nearest and recommend queries');
  }
}

function readOpts(body: Json, payloadDefault: boolean): { withPayload: boolean; withVector: boolean } {
  return {
    withPayload: body.with_payload === undefined ? payloadDefault : body.with_payload === true,
    withVector: body.with_vector === true,
  };
}

function record(p: PointRecord): Json {
  const out: Json = { id: p.id };
  if (p.payload !== undefined) out.payload = p.payload;
  if (p.vector !== undefined) out.vector = p.vector;
  return out;
}

function scored(p: ScoredPoint): Json {
  return { ...record(p), score: p.score, version: 0 };
}

/** OpenAPI 3.0 `nullable` to JSON Schema: `{nullable: true}` alone means null; with a type, add 'null'. */
function toJsonSchemaNullable(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(toJsonSchemaNullable);
  if (!node || typeof node !== 'object') return node;
  const out: Json = {};
  for (const [k, v] of Object.entries(node as Json)) out[k] = toJsonSchemaNullable(v);
  if (out.nullable === true) {
    delete out.nullable;
    if (typeof out.type === 'string') out.type = [out.type, 'null'];
    else if (Object.keys(out).filter((k) => k !== 'description' && k !== 'default').length === 0) out.type = 'null';
    else out.anyOf = [...((out.anyOf as unknown[]) ?? [{ ...out }]), { type: 'null' }];
  }
  return out;
}
