import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ApiBadRequestResponse, ApiNotFoundResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { InvalidInputError } from '@tessera/common';
import { GenerateLmTextUsecase, ScoreLmTextUsecase } from '../../../platform/src';
import { GeneratedTextDto, GenerateTextDto, ScoredTextDto, ScoreTextDto } from './lm.dto';

@ApiTags('language models')
@Controller('lm')
export class LmController {
  constructor(
    private readonly generateText: GenerateLmTextUsecase,
    private readonly scoreText: ScoreLmTextUsecase,
  ) {}

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
