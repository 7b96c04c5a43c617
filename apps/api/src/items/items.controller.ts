import {
  Body,
  Controller,
  Get,
  HttpCode,
  Inject,
  Param,
  Post,
  Query,
  Res,
  UploadedFiles,
  UseInterceptors,
} from '@nestjs/common';
import { FileFieldsInterceptor } from '@nestjs/platform-express';
import { ApiBody, ApiConsumes, ApiCreatedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { rm } from 'node:fs/promises';
import { InvalidInputError } from '@tessera/common';
import { ItemRepository } from '@tessera/db';
import { JobQueue } from '@tessera/jobs';
import { GetItemUsecase, INGEST_MEDIA_JOB, StoreUploadUsecase } from '../../../platform/src';
import { CreateItemDto, CreateItemMultipartDto, ListItemsQuery } from './item.dto';
import { toItemView } from './item.view';

interface UploadedFile {
  path: string;
  originalname: string;
}
type UploadedParts = { file?: UploadedFile[]; subtitles?: UploadedFile[] };

@ApiTags('items')
@Controller('items')
export class ItemsController {
  constructor(
    private readonly storeUpload: StoreUploadUsecase,
    private readonly getItem: GetItemUsecase,
    private readonly items: ItemRepository,
    @Inject(JobQueue) private readonly jobs: JobQueue,
  ) {}

  /**
   * Add an item: a multipart upload (`file`, optional `subtitles`) or a JSON text item.
   * The same bytes uploaded again return the stored item (200) instead of a new one (201).
   */
  @Post()
  @HttpCode(201)
  @UseInterceptors(
    FileFieldsInterceptor([
      { name: 'file', maxCount: 1 },
      { name: 'subtitles', maxCount: 1 },
    ]),
  )
  @ApiConsumes('multipart/form-data', 'application/json')
  @ApiBody({ type: CreateItemMultipartDto })
  @ApiCreatedResponse({ description: 'stored; video and image items are processed by an ingest job' })
  async create(
    @Body() body: CreateItemDto,
    @UploadedFiles() parts: UploadedParts = {},
    @Res({ passthrough: true }) res: Response,
  ) {
    const file = parts.file?.[0];
    const subtitles = parts.subtitles?.[0];
    try {
      if (!file && body.text === undefined)
        throw new InvalidInputError('send a multipart `file` or a JSON body with `text`');
      if (file && body.text !== undefined) throw new InvalidInputError('send either a file or `text`, not both');
      const result = await this.storeUpload.execute({
        source: file ? { path: file.path } : Buffer.from(body.text!, 'utf8'),
        filename: file?.originalname ?? 'text',
        title: body.title,
        metadata: body.metadata,
        subtitles: subtitles ? { source: { path: subtitles.path }, filename: subtitles.originalname } : undefined,
      });
      const job = result.needsProcessing
        ? await this.jobs.enqueue(
            INGEST_MEDIA_JOB,
            { itemId: result.item.id },
            { dedupeKey: `ingest:${result.item.id}` },
          )
        : undefined;
      if (!result.created) res.status(200);
      return { created: result.created, item: result.item, job: job ? { id: job.id, url: `/jobs/${job.id}` } : null };
    } finally {
      // multer's temporary files: the blob store has copied what it keeps
      await Promise.all([file, subtitles].filter((f) => f).map((f) => rm(f!.path, { force: true })));
    }
  }

  @Get()
  @ApiOkResponse({ description: 'a page of items' })
  async list(@Query() q: ListItemsQuery) {
    const [items, total] = await Promise.all([
      this.items.list({ kind: q.kind, source: q.source, limit: q.limit, offset: q.offset }),
      this.items.count({ kind: q.kind, source: q.source }),
    ]);
    return { items, total, limit: q.limit, offset: q.offset };
  }

  /** The item with its assets, clips (with captions and thumbnail URLs) and texts. */
  @Get(':id')
  @ApiOkResponse({ description: 'item details' })
  async get(@Param('id') id: string) {
    return toItemView(await this.getItem.execute(id));
  }
}
