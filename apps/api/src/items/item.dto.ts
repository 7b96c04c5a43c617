import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsIn, IsInt, IsObject, IsOptional, IsString, Max, MaxLength, Min, MinLength } from 'class-validator';
import { InvalidInputError } from '@tessera/common';

/** Multipart sends metadata as a JSON string; JSON bodies send an object. */
function parseMetadata({ value }: { value: unknown }): unknown {
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value) as unknown;
  } catch {
    throw new InvalidInputError('metadata must be a JSON object');
  }
}

export class CreateItemDto {
  @ApiPropertyOptional({ description: 'display title (defaults to the file name)' })
  @IsOptional()
  @IsString()
  @MaxLength(500)
  title?: string;

  @ApiPropertyOptional({ description: 'text content, for a text item sent as JSON (no file)' })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(1_000_000)
  text?: string;

  @ApiPropertyOptional({
    description: 'free JSON metadata stored with the item',
    type: 'object',
    additionalProperties: true,
  })
  @IsOptional()
  @Transform(parseMetadata)
  @IsObject()
  metadata?: Record<string, unknown>;
}

export class CreateItemMultipartDto extends CreateItemDto {
  @ApiProperty({ type: 'string', format: 'binary', description: 'video, image or UTF-8 text file' })
  file!: unknown;

  @ApiPropertyOptional({ type: 'string', format: 'binary', description: 'SRT or WebVTT subtitles for a video' })
  subtitles?: unknown;
}

export class ListItemsQuery {
  @ApiPropertyOptional({ enum: ['video', 'image', 'text', 'dataset-item'] })
  @IsOptional()
  @IsIn(['video', 'image', 'text', 'dataset-item'])
  kind?: 'video' | 'image' | 'text' | 'dataset-item';

  @ApiPropertyOptional({ description: 'dataset or origin, e.g. movielens, upload, folder' })
  @IsOptional()
  @IsString()
  source?: string;

  @ApiPropertyOptional({ default: 20, minimum: 1, maximum: 500 })
  @IsOptional()
  @Transform(({ value }) => Number(value))
  @IsInt()
  @Min(1)
  @Max(500)
  limit: number = 20;

  @ApiPropertyOptional({ default: 0, minimum: 0 })
  @IsOptional()
  @Transform(({ value }) => Number(value))
  @IsInt()
  @Min(0)
  offset: number = 0;
}
