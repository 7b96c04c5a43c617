import { Inject, Injectable, Logger, OnModuleInit, Optional } from '@nestjs/common';
import * as tf from '@tensorflow/tfjs';
import { AppConfig, type TesseraConfig, type TfBackendChoice } from '@tessera/common';
import { assertNoLeak } from '../testing/leak-check';
import { type BackendDescription, summarizeBackend } from './backend-description';
import { describeBackend, initTensorBackend } from './tensor-backend';

/**
 * The one owner of the process-wide TF.js engine in Nest apps: picks the backend at module
 * init (TESSERA_TF_BACKEND, default 'auto'), installs kernel fixes, reports for health.
 * Outside Nest (worker threads, scripts, tests) call initTensorBackend() directly.
 */
@Injectable()
export class TensorRuntime implements OnModuleInit {
  private readonly logger = new Logger(TensorRuntime.name);
  private ready?: Promise<BackendDescription>;
  private choice?: TfBackendChoice;

  constructor(@Optional() @Inject(AppConfig.TOKEN) private readonly config?: TesseraConfig) {}

  async onModuleInit(): Promise<void> {
    await this.init();
  }

  /** Idempotent for the same choice; a different choice switches the process-wide backend. */
  init(choice: TfBackendChoice = this.config?.tfBackend ?? 'auto'): Promise<BackendDescription> {
    if (!this.ready || choice !== this.choice) {
      this.choice = choice;
      const started = Date.now();
      this.ready = initTensorBackend(choice, { allowSoftwareWebGpu: this.config?.webgpuAllowSoftware }).then((d) => {
        this.logger.log({
          msg: 'tensor backend ready',
          backend: d.backend,
          summary: summarizeBackend(d),
          fixes: d.fixes,
          durationMs: Date.now() - started,
        });
        return d;
      });
    }
    return this.ready;
  }

  describe(): BackendDescription {
    return describeBackend();
  }

  /** tf.memory() figures for metrics and health. */
  memory(): { numTensors: number; numBytes: number } {
    const m = tf.memory();
    return { numTensors: m.numTensors, numBytes: m.numBytes };
  }

  assertNoLeak(fn: () => unknown, steps = 3): Promise<number> {
    return assertNoLeak(fn, steps);
  }
}
