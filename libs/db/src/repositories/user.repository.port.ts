import type { BulkInsertOptions, BulkInsertResult, NewUser, PageOptions, User } from '../catalogue.types';

/** Users known by an external id per source (a dataset, or the calling application). */
export abstract class UserRepository {
  /** Insert, or return the stored user with the same (source, externalId). */
  abstract upsert(user: NewUser): Promise<{ user: User; created: boolean }>;
  abstract findById(id: string): Promise<User | undefined>;
  abstract getById(id: string): Promise<User>;
  abstract findByExternal(source: string, externalId: string): Promise<User | undefined>;
  abstract idsByExternal(source: string, externalIds: readonly string[]): Promise<Map<string, string>>;
  abstract list(filter?: PageOptions & { source?: string }): Promise<User[]>;
  abstract count(filter?: { source?: string }): Promise<number>;
  abstract insertMany(users: readonly NewUser[], options?: BulkInsertOptions): Promise<BulkInsertResult>;
}
