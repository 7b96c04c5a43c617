import { Inject, Injectable, Logger } from '@nestjs/common';
import { join } from 'node:path';
import { AppConfig, ConflictError, InvalidInputError, NotFoundError, TesseraConfig } from '@tessera/common';
import { ModelRepository, type JsonObject, type ModelRecord } from '@tessera/db';
import type { ModelCardEvaluation } from '@tessera/eval';
import { COLDSTART_MODEL_ID } from '@tessera/models/coldstart';
import { ColdStartModels } from '../coldstart/coldstart-models.service';
import { VTTWINS_MODEL_ID } from '../vttwins/vttwins-model.store';
import { CARD_FILE, CARD_MARKDOWN_FILE, recordEvaluationsInCard } from './model-card.file';

export const EVALUATED_MODELS = { coldstart: COLDSTART_MODEL_ID, vttwins: VTTWINS_MODEL_ID } as const;
export type EvaluatedModel = keyof typeof EVALUATED_MODELS;

/** How the version was chosen: named on the command line, the one serving, or the newest ready one. */
export type VersionChoice = 'named' | 'served' | 'latest';

export type RecordedEvaluation =
  | {
      recorded: true;
      modelId: string;
      version: string;
      chosen: VersionChoice;
      card: string;
      markdown: string;
      datasets: string[];
    }
  | { recorded: false; reason: string };

/**
 * Puts evaluation results into the model card of the version they are about: a named version, else
 * (cold-start) the version whose vectors the API serves, else the newest ready version. The card in
 * the model folder (card.json, card.md) and the registry's copy of it are both updated.
 */
@Injectable()
export class RecordModelEvaluationUsecase {
  private readonly logger = new Logger(RecordModelEvaluationUsecase.name);

  constructor(
    @Inject(AppConfig.TOKEN) private readonly config: TesseraConfig,
    private readonly models: ModelRepository,
    private readonly coldstart: ColdStartModels,
  ) {}

  /**
   * The version an evaluation will be recorded in, or undefined when none is trained. A named version
   * that does not exist (NotFoundError) or is not ready (ConflictError) is refused, so the CLI can
   * check `--model` before a long evaluation starts.
   */
  async resolve(
    model: EvaluatedModel,
    version?: string,
  ): Promise<{ record: ModelRecord; chosen: VersionChoice } | undefined> {
    const modelId = EVALUATED_MODELS[model];
    if (!modelId)
      throw new InvalidInputError(`no model card for "${model}"; known: ${Object.keys(EVALUATED_MODELS).join(', ')}`);
    if (version) {
      const record = await this.models.find(modelId, version);
      if (!record) throw new NotFoundError(`${model} model version "${version}" does not exist`, { version });
      if (record.status !== 'ready')
        throw new ConflictError(`${model} model version "${version}" is ${record.status}, not ready`, { version });
      return { record, chosen: 'named' };
    }
    if (model === 'coldstart') {
      // no alias yet, or the vector store cannot say: the newest ready version (the result says which was taken)
      const served = await this.coldstart.servedCollection().catch(() => undefined);
      const record = served && (await this.models.find(modelId, served.version));
      if (record?.status === 'ready') return { record, chosen: 'served' };
    }
    const latest = await this.models.latest(modelId, 'ready');
    return latest ? { record: latest, chosen: 'latest' } : undefined;
  }

  async execute(cmd: {
    model: EvaluatedModel;
    version?: string;
    entries: ModelCardEvaluation[];
  }): Promise<RecordedEvaluation> {
    if (cmd.entries.length === 0) return { recorded: false, reason: 'the evaluation produced no results to record' };
    const target = await this.resolve(cmd.model, cmd.version);
    if (!target)
      return {
        recorded: false,
        reason: `no trained ${cmd.model} model in ${this.config.dataDir} (tessera train ${cmd.model})`,
      };
    const { record, chosen } = target;
    const dir = join(this.config.dataDir, record.dir);
    const { card } = await recordEvaluationsInCard(dir, cmd.entries, { modelId: record.modelId });
    await this.models.updateCard(record.modelId, record.version, card as JsonObject);
    const datasets = cmd.entries.map((e) => e.dataset);
    this.logger.log({
      msg: 'evaluation recorded in model card',
      modelId: record.modelId,
      version: record.version,
      datasets,
    });
    return {
      recorded: true,
      modelId: record.modelId,
      version: record.version,
      chosen,
      card: join(dir, CARD_FILE),
      markdown: join(dir, CARD_MARKDOWN_FILE),
      datasets,
    };
  }
}
