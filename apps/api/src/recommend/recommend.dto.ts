import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsIn,
  IsInt,
  IsNumber,
  IsObject,
  IsOptional,
  IsString,
  Max,
  Min,
  ValidateNested,
} from 'class-validator';
import { InvalidInputError } from '@tessera/common';

const toNumber = ({ value }: { value: unknown }) => (value === undefined ? undefined : Number(value));

/** Query strings carry filters as JSON. */
function parseJsonFilter({ value }: { value: unknown }): unknown {
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value) as unknown;
  } catch {
    throw new InvalidInputError('filter must be a JSON object in Qdrant filter form (must / should / must_not)');
  }
}

export class PageQueryDto {
  @ApiPropertyOptional({ default: 20, minimum: 1, maximum: 200 })
  @IsOptional()
  @Transform(toNumber)
  @IsInt()
  @Min(1)
  @Max(200)
  limit?: number;

  @ApiPropertyOptional({ default: 0, minimum: 0, maximum: 10000 })
  @IsOptional()
  @Transform(toNumber)
  @IsInt()
  @Min(0)
  @Max(10_000)
  offset?: number;

  @ApiPropertyOptional({
    description: 'payload filter (Qdrant form) over kind, source, title, warm, itemId',
    type: 'object',
    additionalProperties: true,
  })
  @IsOptional()
  @Transform(parseJsonFilter)
  @IsObject()
  filter?: Record<string, unknown>;

  @ApiPropertyOptional({ type: [String], description: 'item ids never returned' })
  @IsOptional()
  @Transform(({ value }) => (typeof value === 'string' ? value.split(',').filter(Boolean) : value))
  @IsArray()
  @ArrayMaxSize(10_000)
  @IsString({ each: true })
  exclude?: string[];

  @ApiPropertyOptional({ description: 'drop hits scoring below this' })
  @IsOptional()
  @Transform(toNumber)
  @IsNumber()
  scoreThreshold?: number;
}

export class RecommendationsDto extends PageQueryDto {
  @ApiPropertyOptional({ description: 'a known user' })
  @IsOptional()
  @IsString()
  userId?: string;

  @ApiPropertyOptional({ type: [String], description: 'a new (session) user: items they liked' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(1000)
  @IsString({ each: true })
  liked?: string[];

  @ApiPropertyOptional({ type: [String], description: 'a new (session) user: items they disliked' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(1000)
  @IsString({ each: true })
  disliked?: string[];

  @ApiPropertyOptional({
    enum: ['new', 'all'],
    default: 'new',
    description: 'new: only items with no training interactions',
  })
  @IsOptional()
  @IsIn(['new', 'all'])
  candidates?: 'new' | 'all';

  @ApiPropertyOptional({ default: false, description: 'keep items the user already interacted with' })
  @IsOptional()
  includeSeen?: boolean;

  @ApiPropertyOptional({ description: 'model version (default: newest ready)' })
  @IsOptional()
  @IsString()
  modelVersion?: string;
}

export class SimilarQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ enum: ['new', 'all'], default: 'all' })
  @IsOptional()
  @IsIn(['new', 'all'])
  candidates?: 'new' | 'all';
}

export class ContentDto {
  @ApiPropertyOptional({
    description: 'text fields: title, overview, tagline, body, tags, subtitles, genres',
    type: 'object',
    additionalProperties: { type: 'string' },
  })
  @IsOptional()
  @IsObject()
  fields?: Record<string, string>;

  @ApiPropertyOptional({ description: 'an item already in the catalogue (e.g. an ingested video)' })
  @IsOptional()
  @IsString()
  itemId?: string;
}

export class EmbeddingsDto extends ContentDto {
  @ApiPropertyOptional({ type: [ContentDto], description: 'batch form: several contents at once' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(256)
  @ValidateNested({ each: true })
  @Type(() => ContentDto)
  items?: ContentDto[];

  @ApiPropertyOptional({ description: 'model version (default: newest ready)' })
  @IsOptional()
  @IsString()
  modelVersion?: string;
}
