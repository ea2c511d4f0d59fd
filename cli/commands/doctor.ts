// doctor: checks the database for what breaks or slows down a multi-tenant Supabase schema
// (lib/devtools/doctor.ts) and prints one line per finding.
import type { Command } from 'commander'
import { DOCTOR_CHECKS, type Finding, formatFinding, runDoctor } from '../../lib/devtools/doctor.js'
import { type DbCommandOptions, withDatabase, withDbOptions } from '../context.js'
import { toJson } from '../table.js'

export const DOCTOR_EXIT = { healthy: 0, findings: 3 } as const

export function register(program: Command): void {
  withDbOptions(
    program
      .command('doctor')
      .description('check the database: RLS, policy performance, search_path, indexes, migrations'),
  )
    .option('--json', 'print the findings as JSON')
    .addHelpText('after', `
Checks:
${DOCTOR_CHECKS.map((c) => `  ${c.check.padEnd(29)} ${c.describe}`).join('\n')}

Examples:
  $ tenantry doctor
  $ DATABASE_URL=postgres://postgres@localhost:5432/postgres tenantry doctor --json

Exit codes: 0 no findings, 3 findings (one line each), 1 failed, 2 cannot connect.`)
    .action(async (options: DbCommandOptions & { json?: boolean }) => {
      const findings: Finding[] = await withDatabase(options, ({ handle }) => runDoctor(handle.db))
      if (options.json) console.log(toJson(findings))
      else if (findings.length === 0) console.log(`no findings: all ${DOCTOR_CHECKS.length} checks passed`)
      else {
        for (const f of findings) console.log(formatFinding(f))
        console.log(`${findings.length} finding(s)`)
      }
      process.exitCode = findings.length === 0 ? DOCTOR_EXIT.healthy : DOCTOR_EXIT.findings
    })
}
