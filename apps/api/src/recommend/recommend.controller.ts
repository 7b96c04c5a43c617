import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { Filter } from '@tessera/vector-store';
import {
  ItemAudienceUsecase,
  ItemEmbeddingUsecase,
  RecommendItemsUsecase,
  SimilarItemsUsecase,
} from '../../../platform/src';
import { EmbeddingsDto, PageQueryDto, RecommendationsDto, SimilarQueryDto } from './recommend.dto';

@ApiTags('recommendations')
@Controller()
export class RecommendController {
  constructor(
    private readonly recommend: RecommendItemsUsecase,
    private readonly similar: SimilarItemsUsecase,
    private readonly audience: ItemAudienceUsecase,
    private readonly embeddings: ItemEmbeddingUsecase,
  ) {}

  /** Items for a known user, or for a new user described by liked/disliked items; seen items are excluded. */
  @Post('recommendations')
  @HttpCode(200)
  @ApiOkResponse({ description: 'ranked hits, each with score and source' })
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

  /** Embed content never seen before (text fields) or a catalogue item; `items` for a batch. */
  @Post('embeddings')
  @HttpCode(200)
  @ApiOkResponse({ description: '{ embeddings: [...] }' })
  async embed(@Body() body: EmbeddingsDto) {
    const inputs = body.items ?? [{ fields: body.fields, itemId: body.itemId }];
    return { embeddings: await this.embeddings.fromContent(inputs, body.modelVersion) };
  }
}
