import { sql } from 'kysely';
import type { ComponentHealth, HealthProbe } from '@tessera/common';
import { Catalogue } from './catalogue';

/** Readiness of the catalogue database for `/health/ready` and `tessera doctor`. */
export class CatalogueHealthProbe implements HealthProbe {
  readonly component = 'catalogue';

  constructor(private readonly catalogue: Catalogue) {}

  async check(): Promise<ComponentHealth> {
    if (this.catalogue.isClosed) return { ok: false, kind: this.catalogue.dialect, error: 'catalogue is closed' };
    await sql`select 1`.execute(this.catalogue.db);
    const migrations = await sql<{ n: number }>`select count(*) as n from tessera_migrations`.execute(
      this.catalogue.db,
    );
    return {
      ok: true,
      kind: this.catalogue.dialect,
      detail: { path: this.catalogue.path, migrations: Number(migrations.rows[0]?.n ?? 0) },
    };
  }
}
