import { Body, Controller, Get, HttpCode, Param, Post, Query, UploadedFiles, UseInterceptors } from '@nestjs/common';
import { readFile, rm } from 'node:fs/promises';
import { InvalidInputError } from '@tessera/common';
import { ApiBody, ApiConsumes, ApiOkResponse, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Filter } from '@tessera/vector-store';
import {
  type EmbedContentInput,
  ItemAudienceUsecase,
  ItemEmbeddingUsecase,
  RecommendItemsUsecase,
  RecordInteractionsUsecase,
  SimilarItemsUsecase,
} from '../../../platform/src';
import {
  EmbeddingsDto,
  EmbeddingsMultipartDto,
  EmbeddingsResponseDto,
  InteractionsDto,
  PageQueryDto,
  RecommendationsDto,
  SimilarQueryDto,
} from './recommend.dto';
import { ImageUploadInterceptor } from './image-upload.interceptor';

interface UploadedImage {
  path: string;
  originalname: string;
}

@ApiTags('recommendations')
@Controller()
export class RecommendController {
  constructor(
    private readonly recommend: RecommendItemsUsecase,
    private readonly similar: SimilarItemsUsecase,
    private readonly audience: ItemAudienceUsecase,
    private readonly embeddings: ItemEmbeddingUsecase,
    private readonly interactions: RecordInteractionsUsecase,
  ) {}

  /** Items for a known user, or for a new user described by liked/disliked items; seen items are excluded. */
  @Post('recommendations')
  @HttpCode(200)
  @ApiOkResponse({
    description:
      'ranked hits, each with score and source: user-embedding (a warm user), history-tower (liked items through a history-tower model), session-examples (liked/disliked items through the vector store recommend); a `+lexical` suffix when a lexical model added its sparse score',
  })
  recommendations(@Body() body: RecommendationsDto) {
    return this.recommend.execute({ ...body, filter: body.filter as Filter | undefined });
  }

  @Get('items/:id/similar')
  @ApiOkResponse({ description: 'items nearest in content embedding' })
  similarItems(@Param('id') id: string, @Query() q: SimilarQueryDto) {
    return this.similar.execute(id, { ...q, filter: q.filter as Filter | undefined });
  }

  /** The warm users a (new) item suits best. */
  @Get('items/:id/audience')
  @ApiOkResponse({ description: 'users ranked by score' })
  itemAudience(@Param('id') id: string, @Query() q: PageQueryDto) {
    return this.audience.execute(id, q);
  }

  @Get('items/:id/embedding')
  @ApiOkResponse({ description: 'the stored vector with model id, version and dimension' })
  itemEmbedding(@Param('id') id: string) {
    return this.embeddings.stored(id);
  }

  /**
   * Embed content never seen before: text `fields`, an uploaded `image` (multipart), or a catalogue
   * `itemId` (an ingested video is embedded from its sampled frames). `store: true` writes the vector
   * into the served collection. `items` (JSON) or several images (multipart) make a batch, where a bad
   * input gets an entry in `errors` and the rest still embed.
   */
  @Post('embeddings')
  @HttpCode(200)
  @UseInterceptors(ImageUploadInterceptor)
  @ApiConsumes('application/json', 'multipart/form-data')
  @ApiBody({ type: EmbeddingsMultipartDto })
  @ApiOkResponse({ type: EmbeddingsResponseDto })
  @ApiResponse({ status: 422, description: 'content of a modality the model was not trained on' })
  async embed(@Body() body: EmbeddingsDto, @UploadedFiles() files: UploadedImage[] = []) {
    try {
      const { items, modelVersion, ...one } = body;
      if (files.length && items) throw new InvalidInputError('send uploaded images or JSON `items`, not both');
      if (!files.length && !items) {
        return { embeddings: [await this.embeddings.embedSingle(one, modelVersion)] };
      }
      const inputs: EmbedContentInput[] = items
        ? items
        : await Promise.all(
            files.map(async (f) => ({ ...one, image: { bytes: await readFile(f.path), filename: f.originalname } })),
          );
      if (files.length === 1) return { embeddings: [await this.embeddings.embedSingle(inputs[0], modelVersion)] };
      const report = await this.embeddings.embed(inputs, modelVersion);
      return {
        embeddings: report.embeddings,
        errors: report.errors.map(({ index, error }) => ({ index, code: error.code, message: error.message })),
      };
    } finally {
      // multer's temporary files: nothing is kept unless stored through the blob store
      await Promise.all(files.map((f) => rm(f.path, { force: true })));
    }
  }

  /** Feedback (views, likes, ratings) that later training runs learn from; a bad entry is reported, the rest recorded. */
  @Post('interactions')
  @HttpCode(200)
  @ApiOkResponse({ description: '{ recorded, duplicates, errors, userIds }' })
  recordInteractions(@Body() body: InteractionsDto) {
    return this.interactions.execute(body.interactions);
  }
}
