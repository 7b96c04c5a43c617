import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import { join } from 'node:path';
import { AppConfig, NotFoundError, TesseraConfig } from '@tessera/common';
import { ModelRepository } from '@tessera/db';
import { VTTWINS_MODEL_ID, VttwinsModel } from './vttwins-model.store';

/** Loads VT-TWINS versions once per process for search. */
@Injectable()
export class VttwinsModels implements OnApplicationShutdown {
  private readonly loaded = new Map<string, Promise<VttwinsModel>>();

  constructor(
    @Inject(AppConfig.TOKEN) private readonly config: TesseraConfig,
    private readonly models: ModelRepository,
  ) {}

  async get(version?: string): Promise<VttwinsModel> {
    const record = version
      ? await this.models.find(VTTWINS_MODEL_ID, version)
      : await this.models.latest(VTTWINS_MODEL_ID, 'ready');
    if (!record)
      throw new NotFoundError(
        version
          ? `VT-TWINS version "${version}" does not exist`
          : 'no VT-TWINS model is trained yet (tessera train vttwins)',
        { version },
      );
    let entry = this.loaded.get(record.version);
    if (!entry) {
      entry = VttwinsModel.load(join(this.config.dataDir, record.dir));
      this.loaded.set(record.version, entry);
      entry.catch(() => this.loaded.delete(record.version));
    }
    return entry;
  }

  async onApplicationShutdown(): Promise<void> {
    for (const entry of this.loaded.values()) (await entry.catch(() => undefined))?.dispose();
    this.loaded.clear();
  }
}
