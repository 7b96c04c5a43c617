import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
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
