import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsBoolean, IsIn, IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';
import { JOB_STATES, type JobState } from '@tessera/jobs';
import { DATASETS } from '../../../platform/src';

export class CreateIngestJobDto {
  @ApiPropertyOptional({ description: 'folder (or dataset file/folder) relative to TESSERA_DATA_DIR' })
  @IsString()
  @MaxLength(1000)
  path!: string;

  @ApiPropertyOptional({ enum: DATASETS, description: 'import this dataset instead of ingesting media files' })
  @IsOptional()
  @IsIn(DATASETS)
  dataset?: string;
}

export const TRAINABLE_MODELS = ['coldstart', 'vttwins'] as const;
export type TrainableModel = (typeof TRAINABLE_MODELS)[number];

export class CreateTrainingJobDto {
  @ApiProperty({ enum: TRAINABLE_MODELS, description: 'which model to train' })
  @IsIn(TRAINABLE_MODELS)
  model!: TrainableModel;

  @ApiPropertyOptional({ description: 'coldstart (required): catalogue source to learn from, e.g. movielens' })
  @IsOptional()
  @IsString()
  @Matches(/^[\w.-]{1,64}$/)
  source?: string;

  @ApiPropertyOptional({ description: 'version name (default: one per job); an unfinished version continues' })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  version?: string;

  @ApiPropertyOptional({ description: 'coldstart: epochs' })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(1000)
  epochs?: number;

  @ApiPropertyOptional({ description: 'coldstart: train on at most this many users' })
  @IsOptional()
  @IsInt()
  @Min(1)
  maxUsers?: number;

  @ApiPropertyOptional({ description: 'coldstart: learn from stored images and video frames too (default true)' })
  @IsOptional()
  @IsBoolean()
  media?: boolean;

  @ApiPropertyOptional({
    enum: ['free', 'history'],
    description: 'coldstart: users as free vectors (default) or from the content of their positives',
  })
  @IsOptional()
  @IsIn(['free', 'history'])
  userTower?: 'free' | 'history';

  @ApiPropertyOptional({ description: 'coldstart: add the learned sparse (lexical) score beside the dense one' })
  @IsOptional()
  @IsBoolean()
  lexical?: boolean;

  @ApiPropertyOptional({ description: 'vttwins: optimiser steps' })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  steps?: number;
}

export class ListJobsQuery {
  @ApiPropertyOptional({ enum: JOB_STATES })
  @IsOptional()
  @IsIn(JOB_STATES)
  state?: JobState;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  name?: string;

  @ApiPropertyOptional({ default: 20 })
  @IsOptional()
  @Transform(({ value }) => Number(value))
  @IsInt()
  @Min(1)
  @Max(500)
  limit: number = 20;

  @ApiPropertyOptional({ default: 0 })
  @IsOptional()
  @Transform(({ value }) => Number(value))
  @IsInt()
  @Min(0)
  offset: number = 0;
}
