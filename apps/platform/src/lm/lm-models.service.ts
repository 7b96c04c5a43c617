import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import { join } from 'node:path';
import { assertModelVersion, AppConfig, NotFoundError, TesseraConfig } from '@tessera/common';
import { loadLmCheckpoint, type TransformerLm } from '@tessera/alignment/lm';
import { ModelRecord, ModelRepository } from '@tessera/db';
import { LM_MODEL_ID } from './lm-model.store';

export interface LoadedLmVersion {
  record: ModelRecord;
  model: TransformerLm;
}

/** Resolves LM versions (a name, or `latest` = newest ready) and loads each one once per process, frozen. */
@Injectable()
export class LmModels implements OnApplicationShutdown {
  private readonly loaded = new Map<string, Promise<TransformerLm>>();

  constructor(
    @Inject(AppConfig.TOKEN) private readonly config: TesseraConfig,
    private readonly models: ModelRepository,
  ) {}

  /** The registry record of a ready version; NotFoundError for an unknown, unfinished or failed one. */
  async resolve(version?: string): Promise<ModelRecord> {
    const latest = !version || version === 'latest';
    const record = latest
      ? await this.models.latest(LM_MODEL_ID, 'ready')
      : await this.models.find(LM_MODEL_ID, assertModelVersion(version));
    if (!record)
      throw new NotFoundError(
        latest
          ? 'no language model is trained yet (tessera train lm)'
          : `language-model version "${version}" does not exist`,
        { version: version ?? 'latest' },
      );
    if (record.status !== 'ready')
      throw new NotFoundError(`language-model version "${record.version}" is not ready (status ${record.status})`, {
        version: record.version,
        status: record.status,
      });
    return record;
  }

  /** Every registered version, newest first, with status and card (unfinished and failed ones included). */
  async list(): Promise<ModelRecord[]> {
    const all = await this.models.list({ modelId: LM_MODEL_ID });
    return all.sort((a, b) => b.createdAt.localeCompare(a.createdAt) || b.version.localeCompare(a.version));
  }

  /** One version's record and card, whatever its status. */
  async describe(version: string): Promise<ModelRecord> {
    if (version === 'latest') return this.resolve(version);
    const record = await this.models.find(LM_MODEL_ID, assertModelVersion(version));
    if (!record) throw new NotFoundError(`language-model version "${version}" does not exist`, { version });
    return record;
  }

  async get(version?: string): Promise<LoadedLmVersion> {
    const record = await this.resolve(version);
    let entry = this.loaded.get(record.version);
    if (!entry) {
      entry = loadLmCheckpoint(join(this.config.dataDir, record.dir), { trainable: false }).then((l) => l.model);
      this.loaded.set(record.version, entry);
      entry.catch(() => this.loaded.delete(record.version));
    }
    return { record, model: await entry };
  }

  async onApplicationShutdown(): Promise<void> {
    for (const entry of this.loaded.values()) (await entry.catch(() => undefined))?.dispose();
    this.loaded.clear();
  }
}
