// supabase/database.types.ts: the `Database` type supabase-js takes (`createClient<Database>`), written
// by Supabase's own generator. `supabase gen types typescript --db-url` runs postgres-meta in Docker;
// postgres-meta (npm, ~210 MB installed) does nothing for the TypeScript output but call
// @supabase/postgrest-typegen (~20 MB), which Supabase extracted from it as a driver-agnostic library.
// We call that library directly, through Kysely, so it runs on the embedded database as well as on a
// server, with the options Supabase CLI 2.117.0 passes postgres-meta v0.99.0 (schema public, one-to-one
// relationships detected). The output is byte for byte what the CLI writes, trailing newline included
// (checked against postgres-meta 0.99.0 from npm on PostgreSQL 15: docs/nextjs.md).
import { type QueryExecutorProvider, sql } from 'kysely'

/** The schemas the Data API exposes and the app calls through supabase-js. */
export const SUPABASE_TYPES_SCHEMAS = ['public'] as const

/** The TypeScript supabase-js types of the database behind db (a Kysely or a transaction; migrated). */
export async function renderSupabaseTypes(db: QueryExecutorProvider): Promise<string> {
  // Loaded here, not at the top: a build-time devDependency (with a native formatter) that no other
  // command should pay for at startup.
  const { introspect, sortGeneratorMetadata, generateTypescript } = await import('@supabase/postgrest-typegen')
  const queryable = {
    async query(text: string): Promise<{ rows: unknown[] }> {
      return { rows: (await sql.raw<unknown>(text).execute(db)).rows }
    },
  }
  const metadata = sortGeneratorMetadata(await introspect(queryable, { includedSchemas: [...SUPABASE_TYPES_SCHEMAS] }))
  const types = await generateTypescript(metadata, { detectOneToOneRelationships: true })
  // postgres-meta prints the types with console.log, so the CLI's file ends with one more newline.
  return `${types}\n`
}
