// A separate process for test/faults.test.ts, which kills it, races it or opens a database it holds.
// Usage: node --import tsx test/support/fault-child.ts <mode> <target> [options]
//   hold <dataDir>              open the embedded database, print "ready", wait to be killed
//   open <dataDir>              try to open it; print {"ok":true} or {"error":name,"message":...}
//   write <dataDir> <batch> <big>  migrate, then commit batches of <batch> revenue rows forever (one
//                                transaction each, "committed <k>" after each); with <big> > 0, after
//                                three batches start one INSERT ... SELECT of <big> rows ("big started")
//   migrate <dataDir|url> [dir] migrate (the files of dir, default supabase/migrations); print "migrating", then {"applying":version} before each file's
//                                transaction and {"applied":[versions]} at the end
//   terminate <url> <userId> <orgId> <during-query|between-statements>
//                               in a session of the user, insert a customer, then have another
//                               connection terminate the session's backend (while a query runs, or
//                               while the transaction idles between statements); print the error the
//                               session ended with, then {"recovered":true} once new sessions work
// Every line of output is one JSON object.
import { sql } from 'kysely'
import { asSystem, asUser, createDb } from '../../lib/db/index.js'
import { migrate, readMigrationFiles } from '../../lib/migrate/index.js'

const [mode, target, ...rest] = process.argv.slice(2)

function say(value: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(value)}\n`)
}

function targetOptions(t: string): { databaseUrl: string } | { dataDir: string } {
  return t.startsWith('postgres://') || t.startsWith('postgresql://') ? { databaseUrl: t } : { dataDir: t }
}

async function main(): Promise<void> {
  if (!mode || !target) throw new Error('usage: fault-child <mode> <target>')
  switch (mode) {
    case 'hold': {
      await createDb({ dataDir: target })
      say({ ready: true, pid: process.pid })
      // Stay alive (the open database keeps no timer of its own).
      setInterval(() => {}, 1 << 30)
      return
    }
    case 'open': {
      try {
        const h = await createDb({ dataDir: target })
        await h.close()
        say({ ok: true })
      } catch (e) {
        say({ error: e instanceof Error ? e.name : 'unknown', message: e instanceof Error ? e.message : String(e) })
        process.exitCode = 1
      }
      return
    }
    case 'migrate': {
      const h = await createDb({ ...targetOptions(target), poolSize: 1 })
      say({ migrating: true, pid: process.pid })
      try {
        const result = await migrate(h.db, {
          onCompat: () => say({ compat: true, at: Date.now() }),
          onApply: (file) => say({ applying: file.version, at: Date.now() }),
        }, rest[0] ? readMigrationFiles(rest[0]) : undefined)
        say({ applied: result.applied.map((f) => f.version), compat: result.compatApplied, at: Date.now() })
      } finally {
        await h.close()
      }
      return
    }
    case 'write': {
      const batch = Number(rest[0] ?? 100)
      const big = Number(rest[1] ?? 0)
      const h = await createDb({ dataDir: target })
      await migrate(h.db)
      const { orgId, customerId } = await asSystem(h.db, async (trx) => {
        const org = await trx.insertInto('organizations').values({ name: 'Fault', slug: 'fault' }).returning('id').executeTakeFirstOrThrow()
        const c = await trx.insertInto('customers').values({ organization_id: org.id, name: 'Killed mid-write' }).returning('id').executeTakeFirstOrThrow()
        return { orgId: org.id, customerId: c.id }
      })
      say({ setup: true, orgId, customerId, pid: process.pid })
      for (let k = 1; ; k++) {
        const size = big > 0 && k === 4 ? big : batch
        if (size === big) say({ bigStarted: true, size })
        await asSystem(h.db, (trx) => sql`
          insert into public.revenue (organization_id, customer_id, amount, date, description)
          select ${orgId}, ${customerId}, 1.00, date '2026-01-01' + (g % 300), ${`batch ${k} of ${size}`}
            from generate_series(1, ${size}) g`.execute(trx))
        say({ committed: k, size })
      }
    }
    case 'terminate': {
      const [userId = '', orgId = '', when = ''] = rest
      const h = await createDb({ databaseUrl: target, poolSize: 2 })
      try {
        await asUser(h.db, userId, async (trx) => {
          await trx.insertInto('customers').values({ organization_id: orgId, name: `doomed ${when}` }).execute()
          const r = await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(trx)
          const pid = r.rows[0]?.pid ?? 0
          say({ backend: pid })
          const terminate = () => sql`select pg_terminate_backend(${pid})`.execute(h.db)
          if (when === 'during-query') {
            setTimeout(() => void terminate(), 300)
            await sql`select pg_sleep(10)`.execute(trx)
          } else {
            await terminate()
            await new Promise((resolve) => setTimeout(resolve, 200))
            await trx.insertInto('customers').values({ organization_id: orgId, name: `doomed ${when} 2` }).execute()
          }
        })
        say({ committed: true })
      } catch (e) {
        const code = typeof e === 'object' && e !== null && 'code' in e ? String(e.code) : undefined
        say({ sessionError: e instanceof Error ? e.name : 'unknown', message: e instanceof Error ? e.message : String(e), code })
      }
      const counts = await Promise.all(Array.from({ length: 4 }, () =>
        asUser(h.db, userId, (trx) => trx.selectFrom('customers').select('id').execute())))
      say({ recovered: counts.every((c) => c.length > 0) })
      await h.close()
      return
    }
    default:
      throw new Error(`unknown mode ${mode}`)
  }
}

main().catch((e: unknown) => {
  say({ error: e instanceof Error ? e.name : 'unknown', message: e instanceof Error ? e.message : String(e) })
  process.exitCode = 1
})
