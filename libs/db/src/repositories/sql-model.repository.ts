import type { Kysely, Selectable } from 'kysely';
import { ConflictError, InvalidInputError, NotFoundError } from '@tessera/common';
import type { CatalogueSchema, ModelsTable } from '../catalogue.schema';
import type { JsonObject, ModelRecord, ModelStatus, NewModelRecord } from '../catalogue.types';
import { fromJsonText, nowIso, requireText, toJsonText } from '../json-columns';
import { ModelRepository } from './model.repository.port';

const STATUSES: readonly ModelStatus[] = ['training', 'ready', 'failed', 'retired'];

function checkStatus(s: ModelStatus): ModelStatus {
  if (!STATUSES.includes(s))
    throw new InvalidInputError(`model status must be one of ${STATUSES.join(', ')}, got ${String(s)}`);
  return s;
}

function fromRow(r: Selectable<ModelsTable>): ModelRecord {
  return {
    modelId: r.model_id,
    version: r.version,
    kind: r.kind,
    dir: r.dir,
    dim: r.dim,
    card: fromJsonText<JsonObject>(r.card, 'model card') ?? {},
    status: r.status as ModelStatus,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

export class SqlModelRepository extends ModelRepository {
  constructor(private readonly db: Kysely<CatalogueSchema>) {
    super();
  }

  async register(model: NewModelRecord): Promise<ModelRecord> {
    if (!Number.isInteger(model.dim) || model.dim < 1)
      throw new InvalidInputError(`model dim must be a positive integer, got ${model.dim}`);
    const now = nowIso();
    const row: ModelsTable = {
      model_id: requireText(model.modelId, 'modelId'),
      version: requireText(model.version, 'model version'),
      kind: requireText(model.kind, 'model kind'),
      dir: requireText(model.dir, 'model dir'),
      dim: model.dim,
      card: toJsonText(model.card ?? {}, 'model card'),
      status: checkStatus(model.status ?? 'training'),
      created_at: now,
      updated_at: now,
    };
    const res = await this.db
      .insertInto('models')
      .values(row)
      .onConflict((oc) => oc.doNothing())
      .executeTakeFirst();
    if (Number(res.numInsertedOrUpdatedRows ?? 0n) === 0) {
      throw new ConflictError(`model ${row.model_id}@${row.version} is already registered`, {
        modelId: row.model_id,
        version: row.version,
      });
    }
    return fromRow(row);
  }

  async find(modelId: string, version: string): Promise<ModelRecord | undefined> {
    const r = await this.db
      .selectFrom('models')
      .selectAll()
      .where('model_id', '=', modelId)
      .where('version', '=', version)
      .executeTakeFirst();
    return r ? fromRow(r) : undefined;
  }

  async get(modelId: string, version: string): Promise<ModelRecord> {
    const m = await this.find(modelId, version);
    if (!m) throw new NotFoundError(`model ${modelId}@${version} not found`, { modelId, version });
    return m;
  }

  async latest(modelId: string, status: ModelStatus = 'ready'): Promise<ModelRecord | undefined> {
    const r = await this.db
      .selectFrom('models')
      .selectAll()
      .where('model_id', '=', modelId)
      .where('status', '=', status)
      .orderBy('created_at', 'desc')
      .orderBy('version', 'desc')
      .limit(1)
      .executeTakeFirst();
    return r ? fromRow(r) : undefined;
  }

  async list(filter: { modelId?: string; kind?: string; status?: ModelStatus } = {}): Promise<ModelRecord[]> {
    let q = this.db.selectFrom('models').selectAll();
    if (filter.modelId) q = q.where('model_id', '=', filter.modelId);
    if (filter.kind) q = q.where('kind', '=', filter.kind);
    if (filter.status) q = q.where('status', '=', filter.status);
    const rows = await q.orderBy('model_id').orderBy('created_at').orderBy('version').execute();
    return rows.map(fromRow);
  }

  async setStatus(modelId: string, version: string, status: ModelStatus): Promise<ModelRecord> {
    const res = await this.db
      .updateTable('models')
      .set({ status: checkStatus(status), updated_at: nowIso() })
      .where('model_id', '=', modelId)
      .where('version', '=', version)
      .executeTakeFirst();
    if (Number(res.numUpdatedRows) === 0)
      throw new NotFoundError(`model ${modelId}@${version} not found`, { modelId, version });
    return this.get(modelId, version);
  }

  async updateCard(modelId: string, version: string, card: JsonObject): Promise<ModelRecord> {
    const res = await this.db
      .updateTable('models')
      .set({ card: toJsonText(card, 'model card'), updated_at: nowIso() })
      .where('model_id', '=', modelId)
      .where('version', '=', version)
      .executeTakeFirst();
    if (Number(res.numUpdatedRows) === 0)
      throw new NotFoundError(`model ${modelId}@${version} not found`, { modelId, version });
    return this.get(modelId, version);
  }
}
