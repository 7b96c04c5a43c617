import { Body, Controller, Get, HttpCode, Post, Query, UploadedFile, UseInterceptors } from '@nestjs/common';
import { ApiBody, ApiConsumes, ApiOkResponse, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { IsOptional, IsString, MaxLength } from 'class-validator';
import { rm } from 'node:fs/promises';
import { InvalidInputError } from '@tessera/common';
import type { Filter } from '@tessera/vector-store';
import { SearchVideoUsecase } from '../../../platform/src';
import { PageQueryDto } from '../recommend/recommend.dto';
import { VideoQueryUploadInterceptor } from './video-query-upload.interceptor';

export class VideoSearchQuery extends PageQueryDto {
  @ApiProperty({ description: 'what to find, in words' })
  @IsString()
  @MaxLength(500)
  q!: string;
}

export class TextSearchDto extends PageQueryDto {
  @ApiPropertyOptional({ description: 'an ingested clip whose nearest captions to return (or upload a `file`)' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  clipId?: string;
}

export class TextSearchMultipartDto extends TextSearchDto {
  @ApiProperty({
    type: 'string',
    format: 'binary',
    description: 'a short video (at most 120 s and 32 MiB) whose nearest captions to return',
  })
  file!: unknown;
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

  /**
   * A clip in, the nearest captions out: an ingested clip by `clipId` (JSON), or a short video uploaded
   * as multipart `file` (not a video: 415; undecodable or too long: 400; too big: 413).
   */
  @Post('text')
  @HttpCode(200)
  @UseInterceptors(VideoQueryUploadInterceptor)
  @ApiConsumes('application/json', 'multipart/form-data')
  @ApiBody({ type: TextSearchMultipartDto })
  @ApiOkResponse({ description: 'ranked captions with their clips' })
  async text(@Body() body: TextSearchDto, @UploadedFile() file?: { path: string; originalname: string }) {
    try {
      const page = { ...body, filter: body.filter as Filter | undefined };
      if (file && body.clipId) throw new InvalidInputError('send either `clipId` or a video `file`, not both');
      if (file) return await this.search.captionsForVideo({ path: file.path, filename: file.originalname }, page);
      if (!body.clipId) throw new InvalidInputError('send `clipId` (JSON) or a short video as multipart `file`');
      return await this.search.captionsForClip(body.clipId, page);
    } finally {
      // multer's temporary file: nothing of a query video is kept
      if (file) await rm(file.path, { force: true });
    }
  }
}
