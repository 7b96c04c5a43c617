import { Body, Controller, Get, HttpCode, Post, Query } from '@nestjs/common';
import { ApiOkResponse, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { IsString, MaxLength } from 'class-validator';
import type { Filter } from '@tessera/vector-store';
import { SearchVideoUsecase } from '../../../platform/src';
import { PageQueryDto } from '../recommend/recommend.dto';

export class VideoSearchQuery extends PageQueryDto {
  @ApiProperty({ description: 'what to find, in words' })
  @IsString()
  @MaxLength(500)
  q!: string;
}

export class TextSearchDto extends PageQueryDto {
  @ApiPropertyOptional({ description: 'an ingested clip whose nearest captions to return' })
  @IsString()
  clipId!: string;
}

@ApiTags('search')
@Controller('search')
export class SearchController {
  constructor(private readonly search: SearchVideoUsecase) {}

  /** Text in, ranked video segments out: `{itemId, clipId, start, end, score, caption, thumbnailUrl}`. */
  @Get('video')
  @ApiOkResponse({ description: 'ranked clips' })
  video(@Query() q: VideoSearchQuery) {
    return this.search.clipsForText(q.q, { ...q, filter: q.filter as Filter | undefined });
  }

  /** A clip in, the nearest captions out. */
  @Post('text')
  @HttpCode(200)
  @ApiOkResponse({ description: 'ranked captions with their clips' })
  text(@Body() body: TextSearchDto) {
    return this.search.captionsForClip(body.clipId, { ...body, filter: body.filter as Filter | undefined });
  }
}
