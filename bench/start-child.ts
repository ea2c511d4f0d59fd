// Child process of the embedded-start figure (bench/start.ts), so that nothing is warm:
//   prepare <dir> <orgs> <customers>
//                   creates a migrated, seeded embedded database in <dir> and prints a member's id;
//   open <dir> <member-id>
//                   loads the database modules, opens <dir>, answers one dashboard query as the
//                   member, and prints the times as JSON.
// Times are from performance.now(), whose origin is the start of this process.
const [mode, dir, member, customers] = process.argv.slice(2)

async function prepare(dataDir: string, organizations: number, customers: number): Promise<void> {
  const { createDb } = await import('../lib/db/connection.js')
  const { migrate } = await import('../lib/migrate/migrator.js')
  const { seedDatabase } = await import('../lib/seed/index.js')
  const handle = await createDb({ dataDir })
  try {
    await migrate(handle.db)
    const result = await seedDatabase(handle.db, { endMonth: '2025-06', organizations, customers })
    const { planTenants } = await import('../lib/seed/plan.js')
    const plan = planTenants(result.config)
    const user = plan.users.find((u) => u.orgIndex === 0 && u.role === 'member')
    console.log(JSON.stringify({ memberId: user?.id ?? null, counts: result.counts }))
  } finally {
    await handle.close()
  }
}

async function open(dataDir: string, memberId: string): Promise<void> {
  const scriptStart = performance.now()
  const { createDb } = await import('../lib/db/connection.js')
  const { asUser } = await import('../lib/db/session.js')
  const imported = performance.now()
  const handle = await createDb({ dataDir })
  const opened = performance.now()
  let rows = 0
  try {
    rows = await asUser(handle.db, memberId, async (trx) =>
      (await trx.selectFrom('customers').select(['id', 'name', 'created_at']).orderBy('created_at', 'desc').limit(50).execute()).length)
  } finally {
    const answered = performance.now()
    await handle.close()
    console.log(JSON.stringify({
      processStartMs: scriptStart, importMs: imported - scriptStart, openMs: opened - imported,
      firstQueryMs: answered - opened, openToAnswerMs: answered - scriptStart, sinceProcessStartMs: answered, rows,
    }))
  }
}

if (mode === 'prepare' && dir) await prepare(dir, Number(member ?? 8), Number(customers ?? 400))
else if (mode === 'open' && dir && member) await open(dir, member)
else {
  console.error('usage: start-child.ts prepare <dir> <orgs> <customers> | open <dir> <member-id>')
  process.exitCode = 2
}
