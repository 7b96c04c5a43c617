import { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { NestExpressApplication } from '@nestjs/platform-express';
import { SwaggerModule } from '@nestjs/swagger';
import { Logger } from 'nestjs-pino';
import { TesseraConfig } from '@tessera/common';
import { AppModule, ApiModuleOptions } from './app.module';
import { installBodyParsers } from './http/body-parsers';
import { buildOpenApiDocument } from './openapi';

/** Build the HTTP app without listening: used by `main`, `tessera serve`, e2e tests and OpenAPI export. */
export async function createApiApp(config: TesseraConfig, options: ApiModuleOptions = {}): Promise<INestApplication> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config, options), {
    bufferLogs: true,
    // start-up errors (corrupt catalogue, bad config) reach the caller as typed errors instead of exiting
    abortOnError: false,
    bodyParser: false,
  });
  app.useLogger(app.get(Logger));
  installBodyParsers(app, config.limits.jsonBytes);
  app.disable('x-powered-by');
  app.enableShutdownHooks();
  SwaggerModule.setup('docs', app, () => buildOpenApiDocument(app), { jsonDocumentUrl: 'docs/openapi.json' });
  return app;
}

export async function startApi(config: TesseraConfig, options: ApiModuleOptions = {}): Promise<INestApplication> {
  const app = await createApiApp(config, options);
  await app.listen(config.port, config.host);
  return app;
}

/** The committed `openapi.json` text for the app as `tessera serve` composes it. */
export async function renderOpenApiJson(config: TesseraConfig): Promise<string> {
  const app = await createApiApp({ ...config, logLevel: 'silent' }, { runWorker: false });
  await app.init();
  try {
    return `${JSON.stringify(buildOpenApiDocument(app), null, 2)}\n`;
  } finally {
    await app.close();
  }
}
