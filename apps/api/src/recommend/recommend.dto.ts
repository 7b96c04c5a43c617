import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsNumber,
  IsObject,
  IsOptional,
  IsString,
  Max,
  MaxLength,
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

/** Multipart sends objects as JSON strings; JSON bodies send objects. */
function parseJsonObject(name: string) {
  return ({ value }: { value: unknown }): unknown => {
    if (typeof value !== 'string') return value;
    try {
      return JSON.parse(value) as unknown;
    } catch {
      throw new InvalidInputError(`${name} must be a JSON object`);
    }
  };
}

/** Multipart sends booleans as strings. */
const toBoolean = ({ value }: { value: unknown }) =>
  value === 'true' || value === '1' ? true : value === 'false' || value === '0' ? false : value;

export class ContentDto {
  @ApiPropertyOptional({
    description: 'text fields: title, overview, tagline, body, tags, subtitles, genres (a JSON string in multipart)',
    type: 'object',
    additionalProperties: { type: 'string' },
  })
  @IsOptional()
  @Transform(parseJsonObject('fields'))
  @IsObject()
  fields?: Record<string, string>;

  @ApiPropertyOptional({
    description: 'an item already in the catalogue (e.g. an ingested video: its frames are used)',
  })
  @IsOptional()
  @IsString()
  itemId?: string;

  @ApiPropertyOptional({
    default: false,
    description:
      'write the vector into the served collection (alias coldstart) so it is recommendable at once; without itemId a catalogue item is created',
  })
  @IsOptional()
  @Transform(toBoolean)
  @IsBoolean()
  store?: boolean;

  @ApiPropertyOptional({
    description: 'extra point payload for filters (with store; a JSON string in multipart)',
    type: 'object',
    additionalProperties: true,
  })
  @IsOptional()
  @Transform(parseJsonObject('payload'))
  @IsObject()
  payload?: Record<string, unknown>;

  @ApiPropertyOptional({ description: 'catalogue source of an item created by store (default api)' })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  source?: string;
}

export class EmbeddingsDto extends ContentDto {
  @ApiPropertyOptional({ type: [ContentDto], description: 'batch form: several contents at once (JSON only)' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(256)
  @ValidateNested({ each: true })
  @Type(() => ContentDto)
  items?: ContentDto[];

  @ApiPropertyOptional({ description: 'model version (default: newest ready; with store: the served one)' })
  @IsOptional()
  @IsString()
  modelVersion?: string;
}

export class EmbeddingsMultipartDto extends EmbeddingsDto {
  @ApiPropertyOptional({
    type: 'array',
    items: { type: 'string', format: 'binary' },
    description: 'one or more pictures (jpeg, png, webp, gif, tiff, avif, heif); several make a batch',
  })
  image?: unknown[];
}

export class EmbeddingViewDto {
  @ApiProperty({ type: [Number] })
  vector!: number[];

  @ApiProperty()
  modelId!: string;

  @ApiProperty()
  modelVersion!: string;

  @ApiProperty()
  dim!: number;

  @ApiPropertyOptional()
  itemId?: string;

  @ApiPropertyOptional({ type: [String], description: 'encoder modalities the vector was computed from' })
  modalities?: string[];

  @ApiPropertyOptional({ type: [String], description: 'what was substituted or left out' })
  notes?: string[];

  @ApiPropertyOptional({
    description: 'where the vector was written (store: true)',
    type: 'object',
    properties: { collection: { type: 'string' }, itemId: { type: 'string' }, created: { type: 'boolean' } },
  })
  stored?: { collection: string; itemId: string; created: boolean };
}

export class EmbeddingErrorDto {
  @ApiProperty({ description: 'position of the failed input in the batch' })
  index!: number;

  @ApiProperty({
    description: 'the typed error code (invalid_input, not_found, unsupported_media, unsupported_modality, ...)',
  })
  code!: string;

  @ApiProperty()
  message!: string;
}

export class EmbeddingsResponseDto {
  @ApiProperty({ type: [EmbeddingViewDto], description: 'one per input; null where that input failed (batch only)' })
  embeddings!: (EmbeddingViewDto | null)[];

  @ApiPropertyOptional({ type: [EmbeddingErrorDto], description: 'batch only: the inputs that failed' })
  errors?: EmbeddingErrorDto[];
}

export class InteractionDto {
  @ApiPropertyOptional({ description: 'a catalogue user id (user_…); or give externalUserId' })
  @IsOptional()
  @IsString()
  userId?: string;

  @ApiPropertyOptional({ description: 'your own user id; the user is created (source api) the first time' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  externalUserId?: string;

  @ApiProperty({ description: 'a catalogue item id' })
  @IsString()
  itemId!: string;

  @ApiPropertyOptional({ default: 1, description: 'rating or implicit weight' })
  @IsOptional()
  @IsNumber()
  value?: number;

  @ApiPropertyOptional({ description: 'milliseconds since the epoch (default now)' })
  @IsOptional()
  @IsInt()
  @Min(0)
  ts?: number;
}

export class InteractionsDto {
  @ApiProperty({ type: [InteractionDto] })
  @IsArray()
  @ArrayMaxSize(10_000)
  @ValidateNested({ each: true })
  @Type(() => InteractionDto)
  interactions!: InteractionDto[];
}
