import { Inject, Injectable } from '@nestjs/common';
import { join } from 'node:path';
import { assertModelVersion, AppConfig, NotFoundError, TesseraConfig } from '@tessera/common';
import { ModelRepository, type ModelRecord } from '@tessera/db';
import { renderModelCardMarkdown } from '@tessera/eval';
import { readModelCard, type ModelCardJson } from './model-card.file';
import { EVALUATED_MODELS } from './record-model-evaluation.usecase';

export interface ModelVersionSummary {
  modelId: string;
  version: string;
  status: string;
  createdAt: string;
  dim: number;
  /** Datasets with recorded evaluations. */
  evaluated: string[];
}

export interface ModelCardView extends ModelVersionSummary {
  card: ModelCardJson;
}

/** The cards of cold-start and VT-TWINS versions as stored in their model folders (evaluations included). */
@Injectable()
export class ModelCards {
  constructor(
    @Inject(AppConfig.TOKEN) private readonly config: TesseraConfig,
    private readonly models: ModelRepository,
  ) {}

  /** Every registered version, newest first. */
  async list(model: string): Promise<ModelCardView[]> {
    const modelId = modelIdOf(model);
    const records = await this.models.list({ modelId });
    records.sort((a, b) => b.createdAt.localeCompare(a.createdAt) || b.version.localeCompare(a.version));
    return Promise.all(records.map((r) => this.view(r)));
  }

  /** One version (`latest`: the newest ready one) with its full card. */
  async describe(model: string, version: string): Promise<ModelCardView> {
    const modelId = modelIdOf(model);
    if (version !== 'latest') assertModelVersion(version);
    const record =
      version === 'latest' ? await this.models.latest(modelId, 'ready') : await this.models.find(modelId, version);
    if (!record)
      throw new NotFoundError(
        version === 'latest'
          ? `no ${model} model is trained yet`
          : `${model} model version "${version}" does not exist`,
        { model, version },
      );
    return this.view(record);
  }

  /** The card as Markdown, rendered from card.json (the same text `tessera eval` writes to card.md). */
  async markdown(model: string, version: string): Promise<string> {
    return renderModelCardMarkdown((await this.describe(model, version)).card);
  }

  /** The folder's card.json is the record of truth; the registry's copy stands in while it is missing. */
  private async view(r: ModelRecord): Promise<ModelCardView> {
    const card = await readModelCard(join(this.config.dataDir, r.dir), r.modelId).catch((e: unknown) => {
      if (e instanceof NotFoundError) return r.card as ModelCardJson;
      throw e;
    });
    return {
      modelId: r.modelId,
      version: r.version,
      status: r.status,
      createdAt: r.createdAt,
      dim: r.dim,
      evaluated: Object.keys(card.evaluations ?? {}),
      card,
    };
  }
}

function modelIdOf(model: string): string {
  const id = (EVALUATED_MODELS as Record<string, string>)[model];
  if (!id)
    throw new NotFoundError(`unknown model "${model}"; known: ${Object.keys(EVALUATED_MODELS).join(', ')}`, { model });
  return id;
}
