import { Controller, Get, Header, Param } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiParam,
  ApiProduces,
  ApiTags,
} from '@nestjs/swagger';
import { ModelCards, type ModelCardView } from '../../../platform/src';
import { ModelCardDto, ModelVersionsDto, ModelVersionSummaryDto } from './models.dto';

const MODEL_PARAM = { name: 'model', enum: ['coldstart', 'vttwins'] };
const VERSION_PARAM = { name: 'version', description: 'a version, or latest (the newest ready one)' };

/** Trained cold-start and VT-TWINS versions and their model cards, evaluation results included. */
@ApiTags('models')
@Controller('models')
export class ModelsController {
  constructor(private readonly cards: ModelCards) {}

  /** Registered versions of one model, newest first, with the datasets their cards hold evaluations of. */
  @Get(':model')
  @ApiParam(MODEL_PARAM)
  @ApiOkResponse({ type: ModelVersionsDto })
  @ApiNotFoundResponse({ description: 'unknown model' })
  async list(@Param('model') model: string): Promise<ModelVersionsDto> {
    return { models: (await this.cards.list(model)).map(toSummary) };
  }

  /** One version's full card: data, config, training metrics, backend and the recorded evaluations. */
  @Get(':model/:version')
  @ApiParam(MODEL_PARAM)
  @ApiParam(VERSION_PARAM)
  @ApiOkResponse({ type: ModelCardDto })
  @ApiBadRequestResponse({ description: 'malformed version name' })
  @ApiNotFoundResponse({ description: 'unknown model or version' })
  async describe(@Param('model') model: string, @Param('version') version: string): Promise<ModelCardDto> {
    const view = await this.cards.describe(model, version);
    return { ...toSummary(view), card: view.card };
  }

  /** The same card as Markdown, as card.md beside card.json. */
  @Get(':model/:version/card.md')
  @Header('content-type', 'text/markdown; charset=utf-8')
  @ApiParam(MODEL_PARAM)
  @ApiParam(VERSION_PARAM)
  @ApiProduces('text/markdown')
  @ApiOkResponse({ description: 'the model card as Markdown', schema: { type: 'string' } })
  @ApiNotFoundResponse({ description: 'unknown model or version' })
  markdown(@Param('model') model: string, @Param('version') version: string): Promise<string> {
    return this.cards.markdown(model, version);
  }
}

function toSummary(v: ModelCardView): ModelVersionSummaryDto {
  return {
    modelId: v.modelId,
    version: v.version,
    status: v.status,
    createdAt: v.createdAt,
    dim: v.dim,
    evaluated: v.evaluated,
  };
}
