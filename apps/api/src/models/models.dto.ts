import { ApiProperty } from '@nestjs/swagger';

export class ModelVersionSummaryDto {
  @ApiProperty({ example: 'tessera-coldstart-encoder' })
  modelId!: string;

  @ApiProperty()
  version!: string;

  @ApiProperty({ enum: ['training', 'ready', 'failed', 'retired'], description: 'only ready versions are served' })
  status!: string;

  @ApiProperty()
  createdAt!: string;

  @ApiProperty({ description: 'embedding dimension' })
  dim!: number;

  @ApiProperty({
    type: [String],
    description: 'datasets with evaluation results in the card (tessera eval coldstart / vttwins)',
    example: ['citeulike', 'movielens'],
  })
  evaluated!: string[];
}

export class ModelVersionsDto {
  @ApiProperty({ type: [ModelVersionSummaryDto] })
  models!: ModelVersionSummaryDto[];
}

export class ModelCardDto extends ModelVersionSummaryDto {
  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description:
      'the card.json of the model folder: data, config, training metrics, backend, and `evaluations` by dataset ' +
      '(command, options, seeds, date, git commit, backend, Markdown tables of mean ± sample sd over seeds, structured results)',
  })
  card!: Record<string, unknown>;
}
