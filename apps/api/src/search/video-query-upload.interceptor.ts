import { CallHandler, ExecutionContext, Inject, Injectable, NestInterceptor } from '@nestjs/common';
import type { Request, Response } from 'express';
import multer from 'multer';
import { join } from 'node:path';
import type { Observable } from 'rxjs';
import { AppConfig, InvalidInputError, PayloadTooLargeError, TesseraConfig } from '@tessera/common';

/** Query videos are short: at most this many bytes, or the upload limit when that is smaller. */
export const MAX_QUERY_VIDEO_BYTES = 32 * 1024 * 1024;

/**
 * The optional multipart `file` of POST /search/text (a short video to search with), written to the
 * upload folder under its own size limit; JSON bodies pass through untouched. Multer's limit errors
 * become typed errors (413, 400) instead of Nest's generic ones.
 */
@Injectable()
export class VideoQueryUploadInterceptor implements NestInterceptor {
  private readonly upload: (req: Request, res: Response, done: (e?: unknown) => void) => void;
  readonly maxBytes: number;

  constructor(@Inject(AppConfig.TOKEN) config: TesseraConfig) {
    this.maxBytes = Math.min(config.limits.uploadBytes, MAX_QUERY_VIDEO_BYTES);
    this.upload = multer({
      dest: join(config.dataDir, 'tmp', 'uploads'),
      limits: { fileSize: this.maxBytes, files: 1, fields: 16, parts: 24 },
    }).single('file');
  }

  async intercept(ctx: ExecutionContext, next: CallHandler): Promise<Observable<unknown>> {
    const http = ctx.switchToHttp();
    await new Promise<void>((resolve, reject) =>
      this.upload(http.getRequest<Request>(), http.getResponse<Response>(), (e) =>
        e ? reject(this.typed(e)) : resolve(),
      ),
    );
    return next.handle();
  }

  private typed(e: unknown): unknown {
    if (!(e instanceof multer.MulterError)) return e;
    if (e.code === 'LIMIT_FILE_SIZE')
      return new PayloadTooLargeError(`the query video is over the ${this.maxBytes}-byte limit for search uploads`, {
        maxBytes: this.maxBytes,
      });
    if (e.code === 'LIMIT_FILE_COUNT' || e.code === 'LIMIT_UNEXPECTED_FILE')
      return new InvalidInputError('send one video in a multipart part named "file"', { field: e.field });
    return new InvalidInputError(`multipart body refused: ${e.message}`, { code: e.code });
  }
}
