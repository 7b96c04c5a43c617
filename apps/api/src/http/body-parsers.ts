import type { INestApplication } from '@nestjs/common';
import { json, urlencoded, type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import { InvalidInputError, PayloadTooLargeError } from '@tessera/common';

/**
 * body-parser errors become typed errors here: Nest would otherwise turn a parse failure into a bare
 * BadRequestException and a size failure into a 500 without saying which limit was hit.
 */
function typed(parser: RequestHandler, limitBytes: number): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) =>
    parser(req, res, (err?: unknown) => {
      if (!err) return next();
      const type = (err as { type?: string }).type;
      if (type === 'entity.too.large')
        return next(new PayloadTooLargeError(`request body exceeds ${limitBytes} bytes`, { limitBytes }));
      if (type === 'entity.parse.failed')
        return next(new InvalidInputError(`request body is not valid JSON: ${(err as Error).message}`));
      return next(new InvalidInputError(`unreadable request body: ${(err as Error).message}`));
    });
}

export function installBodyParsers(app: INestApplication, limitBytes: number): void {
  app.use(typed(json({ limit: limitBytes }), limitBytes));
  app.use(typed(urlencoded({ limit: limitBytes, extended: false }), limitBytes));
}
