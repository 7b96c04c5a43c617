export const ON_JOB_METADATA = 'tessera:on-job';

export interface OnJobMetadata {
  name: string;
}

/**
 * Marks a provider method as the processor of one job name, e.g.
 * `@OnJob('ingest.video') run(ctx: JobContext<IngestVideoPayload>)`.
 * Found at boot by JobHandlerExplorer; two handlers for one name stop the boot.
 */
export function OnJob(name: string): MethodDecorator {
  return (_target, _key, descriptor) => {
    Reflect.defineMetadata(ON_JOB_METADATA, { name } satisfies OnJobMetadata, descriptor.value as object);
    return descriptor;
  };
}
