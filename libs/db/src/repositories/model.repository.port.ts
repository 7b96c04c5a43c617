import type { JsonObject, ModelRecord, ModelStatus, NewModelRecord } from '../catalogue.types';

/** Registry of trained model versions (weights live in the data dir under `dir`). */
export abstract class ModelRepository {
  /** ConflictError if (modelId, version) is already registered. */
  abstract register(model: NewModelRecord): Promise<ModelRecord>;
  abstract find(modelId: string, version: string): Promise<ModelRecord | undefined>;
  abstract get(modelId: string, version: string): Promise<ModelRecord>;
  /** Newest registered version with the given status (default `ready`). */
  abstract latest(modelId: string, status?: ModelStatus): Promise<ModelRecord | undefined>;
  abstract list(filter?: { modelId?: string; kind?: string; status?: ModelStatus }): Promise<ModelRecord[]>;
  abstract setStatus(modelId: string, version: string, status: ModelStatus): Promise<ModelRecord>;
  abstract updateCard(modelId: string, version: string, card: JsonObject): Promise<ModelRecord>;
}
