import { DynamicModule, Module } from '@nestjs/common';
import { HEALTH_PROBES, TesseraConfig, TesseraConfigModule } from '@tessera/common';
import { DatabaseModule } from '@tessera/db';
import { JobsModule } from '@tessera/jobs';
import { TensorModule } from '@tessera/tensor';
import { VectorStoreModule } from '@tessera/vector-store';
import { platformHealthProbes } from './health/platform-health.probes';
import { CatalogueDatasetLoader } from './coldstart/catalogue-dataset.loader';
import { CatalogueMediaReader } from './coldstart/catalogue-media.reader';
import { ColdStartModels } from './coldstart/coldstart-models.service';
import { ColdStartProcessors } from './coldstart/coldstart.processors';
import { EmbedCatalogueUsecase } from './coldstart/embed-catalogue.usecase';
import { ItemAudienceUsecase } from './coldstart/item-audience.usecase';
import { ItemEmbeddingUsecase } from './coldstart/item-embedding.usecase';
import { RecordInteractionsUsecase } from './coldstart/record-interactions.usecase';
import { RecommendItemsUsecase } from './coldstart/recommend-items.usecase';
import { SimilarItemsUsecase } from './coldstart/similar-items.usecase';
import { TrainColdStartUsecase } from './coldstart/train-coldstart.usecase';
import { ImportDatasetUsecase } from './datasets/import-dataset.usecase';
import { IngestFolderUsecase } from './ingest/ingest-folder.usecase';
import { IngestProcessors } from './ingest/ingest.processors';
import { ProcessMediaUsecase } from './ingest/process-media.usecase';
import { StoreUploadUsecase } from './ingest/store-upload.usecase';
import { GetItemUsecase } from './items/get-item.usecase';
import { mediaProviders } from './media/media.providers';
import { EmbedClipsUsecase } from './vttwins/embed-clips.usecase';
import { SearchVideoUsecase } from './vttwins/search-video.usecase';
import { TrainVttwinsUsecase } from './vttwins/train-vttwins.usecase';
import { RecordModelEvaluationUsecase } from './evaluation/record-model-evaluation.usecase';
import { ModelCards } from './evaluation/model-cards.service';
import { VttwinsModels } from './vttwins/vttwins-models.service';
import { VttwinsProcessors } from './vttwins/vttwins.processors';
import { AlignLmUsecase } from './lm/align-lm.usecase';
import { GenerateLmTextUsecase } from './lm/generate-lm-text.usecase';
import { LmModels } from './lm/lm-models.service';
import { LmProcessors } from './lm/lm.processors';
import { ScoreLmTextUsecase } from './lm/score-lm-text.usecase';
import { TrainLmUsecase } from './lm/train-lm.usecase';

const USECASES = [
  StoreUploadUsecase,
  ProcessMediaUsecase,
  IngestFolderUsecase,
  ImportDatasetUsecase,
  GetItemUsecase,
  CatalogueDatasetLoader,
  CatalogueMediaReader,
  ColdStartModels,
  TrainColdStartUsecase,
  EmbedCatalogueUsecase,
  RecommendItemsUsecase,
  SimilarItemsUsecase,
  ItemAudienceUsecase,
  ItemEmbeddingUsecase,
  RecordInteractionsUsecase,
  VttwinsModels,
  TrainVttwinsUsecase,
  EmbedClipsUsecase,
  SearchVideoUsecase,
  LmModels,
  TrainLmUsecase,
  AlignLmUsecase,
  GenerateLmTextUsecase,
  ScoreLmTextUsecase,
  RecordModelEvaluationUsecase,
  ModelCards,
];

export interface PlatformOptions {
  /** Process jobs in this process (the worker; `serve` on the embedded queue). */
  runWorker?: boolean;
  /** Skip TesseraConfigModule when the host app already provides the config. */
  provideConfig?: boolean;
}

/**
 * The composition root shared by the API, the worker and the CLI: catalogue, job queue,
 * media adapters, the use cases and the job processors. Apps add only their entry points.
 */
@Module({})
export class PlatformModule {
  static forRoot(config: TesseraConfig, options: PlatformOptions = {}): DynamicModule {
    return {
      module: PlatformModule,
      global: true,
      imports: [
        ...(options.provideConfig === false ? [] : [TesseraConfigModule.forRoot(config)]),
        DatabaseModule.forRoot(config),
        JobsModule.forRoot({ config, runWorker: options.runWorker ?? false }),
        VectorStoreModule.forRoot(config),
        TensorModule,
      ],
      providers: [
        ...mediaProviders,
        ...USECASES,
        IngestProcessors,
        ColdStartProcessors,
        VttwinsProcessors,
        LmProcessors,
        platformHealthProbes,
      ],
      exports: [...mediaProviders, ...USECASES, HEALTH_PROBES],
    };
  }
}
