import { Global, Module } from '@nestjs/common';
import { TensorRuntime } from './backend/tensor-runtime.service';

/** Provides the process-wide TensorRuntime; import once in each app module. */
@Global()
@Module({ providers: [TensorRuntime], exports: [TensorRuntime] })
export class TensorModule {}
