import { DynamicModule, Global, Module } from '@nestjs/common';
import { AppConfig, loadConfig, TesseraConfig } from './config';

/** Provides the validated TesseraConfig under AppConfig.TOKEN to every module. */
@Global()
@Module({})
export class TesseraConfigModule {
  static forRoot(config?: TesseraConfig): DynamicModule {
    return {
      module: TesseraConfigModule,
      providers: [{ provide: AppConfig.TOKEN, useFactory: () => config ?? loadConfig() }],
      exports: [AppConfig.TOKEN],
    };
  }
}
