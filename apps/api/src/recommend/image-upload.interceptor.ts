import { CallHandler, ExecutionContext, Inject, Injectable, NestInterceptor } from '@nestjs/common';
import type { Request, Response } from 'express';
import multer from 'multer';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { catchError, from, mergeMap, type Observable, throwError } from 'rxjs';
import { AppConfig, InvalidInputError, PayloadTooLargeError, TesseraConfig } from '@tessera/common';

/** Pictures per multipart embedding request. */
export const MAX_IMAGES = 16;

/**
 * Multipart `image` parts for POST /embeddings, written to the upload folder and size-checked with the
 * configured upload limit. It sits beside the app-wide multer set-up (two files per request, for
 * items) because a batch of pictures needs more; multer's limit errors become typed errors.
 */
@Injectable()
export class ImageUploadInterceptor implements NestInterceptor {
  private readonly upload: (req: Request, res: Response, done: (e?: unknown) => void) => void;
  private readonly maxBytes: number;

  constructor(@Inject(AppConfig.TOKEN) config: TesseraConfig) {
    this.maxBytes = config.limits.uploadBytes;
    this.upload = multer({
      dest: join(config.dataDir, 'tmp', 'uploads'),
      limits: { fileSize: this.maxBytes, files: MAX_IMAGES, fields: 32, parts: 64 },
    }).array('image', MAX_IMAGES);
  }

  async intercept(ctx: ExecutionContext, next: CallHandler): Promise<Observable<unknown>> {
    const http = ctx.switchToHttp();
    const req = http.getRequest<Request>();
    await new Promise<void>((resolve, reject) =>
      this.upload(req, http.getResponse<Response>(), (e) => (e ? reject(this.typed(e)) : resolve())),
    );
    // a body refused by validation never reaches the handler (which removes its files): remove them before the error answers
    return next.handle().pipe(
      catchError((e: unknown) => {
        const files = Array.isArray(req.files) ? req.files : [];
        return from(Promise.all(files.map((f) => rm(f.path, { force: true })))).pipe(
          mergeMap(() => throwError(() => e)),
        );
      }),
    );
  }

  private typed(e: unknown): unknown {
    if (!(e instanceof multer.MulterError)) return e;
    if (e.code === 'LIMIT_FILE_SIZE')
      return new PayloadTooLargeError(`an uploaded image is over the ${this.maxBytes}-byte upload limit`, {
        maxBytes: this.maxBytes,
      });
    if (e.code === 'LIMIT_FILE_COUNT' || e.code === 'LIMIT_UNEXPECTED_FILE')
      return new InvalidInputError(`send at most ${MAX_IMAGES} files, each in a part named "image"`, {
        field: e.field,
      });
    return new InvalidInputError(`multipart body refused: ${e.message}`, { code: e.code });
  }
}
