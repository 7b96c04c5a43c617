import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsInt,
  IsNumber,
  IsOptional,
  IsString,
  Max,
  MaxLength,
  Min,
} from 'class-validator';

const MAX_PROMPT_CHARS = 100_000;

export class GenerateTextDto {
  @ApiPropertyOptional({ description: 'LM version (default: latest, the newest ready version)', example: 'latest' })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  model?: string;

  @ApiProperty({ description: 'text to continue; longer than the context window keeps its last tokens (warning)' })
  @IsString()
  @MaxLength(MAX_PROMPT_CHARS)
  prompt!: string;

  @ApiPropertyOptional({ default: 64, minimum: 1, maximum: 1024, description: 'most new tokens' })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(1024)
  maxTokens?: number;

  @ApiPropertyOptional({ default: 1, minimum: 0, maximum: 10, description: '0 is greedy decoding' })
  @IsOptional()
  @IsNumber()
  @Min(0)
  @Max(10)
  temperature?: number;

  @ApiPropertyOptional({ default: 0, minimum: 0, description: 'keep the k most likely tokens (0: all)' })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(100_000)
  topK?: number;

  @ApiPropertyOptional({ default: 1, minimum: 0, maximum: 1, description: 'nucleus sampling mass (1: all)' })
  @IsOptional()
  @IsNumber()
  @Min(0.000001)
  @Max(1)
  topP?: number;

  @ApiPropertyOptional({ type: [String], description: 'stop before the first of these strings' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(16)
  @IsString({ each: true })
  @MaxLength(200, { each: true })
  stop?: string[];

  @ApiPropertyOptional({ default: 0, description: 'sampling seed: the same seed gives the same text' })
  @IsOptional()
  @IsInt()
  seed?: number;
}

export class ScoreTextDto {
  @ApiPropertyOptional({ description: 'LM version (default: latest)', example: 'latest' })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  model?: string;

  @ApiProperty({ description: 'the conditioning text' })
  @IsString()
  @MaxLength(MAX_PROMPT_CHARS)
  prompt!: string;

  @ApiPropertyOptional({ description: 'one continuation to score (or use continuations)' })
  @IsOptional()
  @IsString()
  @MaxLength(MAX_PROMPT_CHARS)
  continuation?: string;

  @ApiPropertyOptional({ type: [String], description: 'several continuations of the same prompt (at most 64)' })
  @IsOptional()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(64)
  @IsString({ each: true })
  @MaxLength(MAX_PROMPT_CHARS, { each: true })
  continuations?: string[];
}

export class GeneratedTextDto {
  @ApiProperty()
  text!: string;

  @ApiProperty({ type: [Number], description: 'generated token ids' })
  tokens!: number[];

  @ApiProperty({ enum: ['eos', 'stop', 'length'] })
  finishReason!: string;

  @ApiProperty({ description: 'the version that generated it' })
  model!: string;

  @ApiProperty({
    type: 'object',
    properties: { promptTokens: { type: 'number' }, completionTokens: { type: 'number' } },
  })
  usage!: { promptTokens: number; completionTokens: number };

  @ApiProperty({ type: [String], description: 'e.g. the prompt was cut to fit the context window' })
  warnings!: string[];
}

export class ScoredTokenDto {
  @ApiProperty()
  id!: number;

  @ApiProperty({ description: "the token's text ('' for end of sequence)" })
  text!: string;

  @ApiProperty()
  logProb!: number;

  @ApiPropertyOptional({ description: 'true for the end-of-sequence token' })
  eos?: boolean;
}

export class ScoredContinuationDto {
  @ApiProperty()
  continuation!: string;

  @ApiProperty({ description: 'log p(continuation + end of sequence | prompt), the sum of the token log-probs' })
  logProb!: number;

  @ApiProperty({ type: [ScoredTokenDto] })
  tokens!: ScoredTokenDto[];
}

export class ScoredTextDto {
  @ApiProperty()
  model!: string;

  @ApiProperty({ type: [ScoredContinuationDto], description: 'one entry per continuation, in request order' })
  results!: ScoredContinuationDto[];

  @ApiProperty({ type: [String] })
  warnings!: string[];
}

export class LmVersionDto {
  @ApiProperty()
  version!: string;

  @ApiProperty({ enum: ['training', 'ready', 'failed', 'retired'], description: 'only ready versions are served' })
  status!: string;

  @ApiProperty({ enum: ['sft', 'dpo', 'kto', 'bco'] })
  kind!: string;

  @ApiPropertyOptional({ description: 'aligned versions: the SFT version used as the frozen reference' })
  reference?: string;

  @ApiProperty()
  createdAt!: string;

  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description: 'data, model, tokenizer, training, metrics, backend',
  })
  card!: Record<string, unknown>;
}

export class LmVersionsDto {
  @ApiProperty({ type: [LmVersionDto] })
  models!: LmVersionDto[];
}
