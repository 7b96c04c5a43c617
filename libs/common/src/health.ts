/** What a component reports to `/health/ready` and `tessera doctor`. */
export interface ComponentHealth {
  ok: boolean;
  /** Which implementation answered, e.g. `embedded`, `qdrant`, `wasm`. */
  kind?: string;
  detail?: Record<string, unknown>;
  error?: string;
}

export interface HealthProbe {
  readonly component: string;
  check(): Promise<ComponentHealth>;
}

/** DI token for the list of probes the readiness endpoint runs. */
export const HEALTH_PROBES = 'TESSERA_HEALTH_PROBES';

/** Run probes concurrently; a probe that throws or hangs reports not ok instead of failing the rest. */
export async function runHealthProbes(
  probes: HealthProbe[],
  timeoutMs = 5000,
): Promise<{ ok: boolean; components: Record<string, ComponentHealth> }> {
  const entries = await Promise.all(
    probes.map(async (p): Promise<[string, ComponentHealth]> => {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<ComponentHealth>((resolve) => {
        timer = setTimeout(() => resolve({ ok: false, error: `no answer within ${timeoutMs} ms` }), timeoutMs);
      });
      try {
        return [p.component, await Promise.race([p.check(), timeout])];
      } catch (e) {
        return [p.component, { ok: false, error: e instanceof Error ? e.message : String(e) }];
      } finally {
        clearTimeout(timer);
      }
    }),
  );
  const components = Object.fromEntries(entries);
  return { ok: entries.every(([, h]) => h.ok), components };
}
