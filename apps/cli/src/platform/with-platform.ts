import type { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { loadConfig, TesseraConfig } from '@tessera/common';
import { PlatformModule, PlatformOptions } from '../../../platform/src';

/** Run CLI work against the same composition root as the API and worker, then close it. */
export async function withPlatform<T>(
  work: (ctx: INestApplicationContext, config: TesseraConfig) => Promise<T>,
  options: PlatformOptions = {},
): Promise<T> {
  const config = loadConfig();
  const ctx = await NestFactory.createApplicationContext(PlatformModule.forRoot(config, options), {
    logger: ['error', 'warn'],
    abortOnError: false,
  });
  try {
    return await work(ctx, config);
  } finally {
    await ctx.close();
  }
}
