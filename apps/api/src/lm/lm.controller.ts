import { Body, Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBadRequestResponse, ApiNotFoundResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { InvalidInputError } from '@tessera/common';
import type { ModelRecord } from '@tessera/db';
import { GenerateLmTextUsecase, LmModels, ScoreLmTextUsecase } from '../../../platform/src';
import { GeneratedTextDto, GenerateTextDto, LmVersionDto, LmVersionsDto, ScoredTextDto, ScoreTextDto } from './lm.dto';

@ApiTags('language models')
@Controller('lm')
export class LmController {
  constructor(
    private readonly generateText: GenerateLmTextUsecase,
    private readonly scoreText: ScoreLmTextUsecase,
    private readonly versions: LmModels,
  ) {}

  /** Stored LM versions, newest first: status, kind, reference and metrics. */
  @Get('models')
  @ApiOkResponse({ type: LmVersionsDto })
  async list(): Promise<LmVersionsDto> {
    return { models: (await this.versions.list()).map(toVersionDto) };
  }

  /** One version's full card (data, config, metrics, backend; the reference of an aligned version). */
  @Get('models/:version')
  @ApiOkResponse({ type: LmVersionDto })
  @ApiNotFoundResponse({ description: 'unknown model version' })
  async describe(@Param('version') version: string): Promise<LmVersionDto> {
    return toVersionDto(await this.versions.describe(version));
  }

  /** Continue a prompt with a stored LM version (greedy, temperature, top-k, top-p, stop strings). */
  @Post('generate')
  @HttpCode(200)
  @ApiOkResponse({ type: GeneratedTextDto })
  @ApiBadRequestResponse({ description: 'empty prompt or malformed body' })
  @ApiNotFoundResponse({ description: 'unknown model version' })
  generate(@Body() body: GenerateTextDto): Promise<GeneratedTextDto> {
    return this.generateText.execute(body);
  }

  /** Exact log-probabilities of one or several continuations of a prompt, summed and per token. */
  @Post('score')
  @HttpCode(200)
  @ApiOkResponse({ type: ScoredTextDto })
  @ApiBadRequestResponse({ description: 'empty prompt or continuation, or malformed body' })
  @ApiNotFoundResponse({ description: 'unknown model version' })
  score(@Body() body: ScoreTextDto): Promise<ScoredTextDto> {
    if ((body.continuation === undefined) === (body.continuations === undefined))
      throw new InvalidInputError('give exactly one of continuation or continuations');
    return this.scoreText.execute({
      model: body.model,
      prompt: body.prompt,
      continuations: body.continuations ?? [body.continuation!],
    });
  }
}

function toVersionDto(r: ModelRecord): LmVersionDto {
  return {
    version: r.version,
    status: r.status,
    kind: String(r.card.kind ?? ''),
    reference: typeof r.card.reference === 'string' ? r.card.reference : undefined,
    createdAt: r.createdAt,
    card: r.card,
  };
}
