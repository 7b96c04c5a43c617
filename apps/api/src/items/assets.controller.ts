import { Controller, Get, Param, StreamableFile } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { AssetRepository, BlobStore } from '@tessera/db';

@ApiTags('items')
@Controller('assets')
export class AssetsController {
  constructor(
    private readonly assets: AssetRepository,
    private readonly blobs: BlobStore,
  ) {}

  /** The stored bytes of an asset (originals, thumbnails, subtitles). */
  @Get(':id/content')
  @ApiOkResponse({ description: 'the bytes, with their media type' })
  async content(@Param('id') id: string): Promise<StreamableFile> {
    const asset = await this.assets.getById(id);
    return new StreamableFile(await this.blobs.open(asset.contentHash), {
      type: asset.mediaType,
      length: asset.bytes,
      disposition: 'inline',
    });
  }
}
