// The tenantry command tree, built without running it: cli/main.ts parses the command line with it,
// tests read every command's help from it.
import { Command } from 'commander'
import { register as registerAccept } from './commands/accept.js'
import { register as registerAudit } from './commands/audit.js'
import { register as registerDashboard } from './commands/dashboard.js'
import { register as registerDemo } from './commands/demo.js'
import { register as registerDoctor } from './commands/doctor.js'
import { register as registerExport } from './commands/export.js'
import { register as registerGenerate } from './commands/generate.js'
import { register as registerImport } from './commands/import.js'
import { register as registerInvite } from './commands/invite.js'
import { register as registerMembers } from './commands/members.js'
import { register as registerMigrate } from './commands/migrate.js'
import { register as registerOrgs } from './commands/orgs.js'
import { register as registerReset } from './commands/reset.js'
import { register as registerRollups } from './commands/rollups.js'
import { register as registerSeed } from './commands/seed.js'
import { register as registerSql } from './commands/sql.js'
import { register as registerStatus } from './commands/status.js'
import { register as registerToken } from './commands/token.js'
import { register as registerUsers } from './commands/users.js'

export function buildProgram(): Command {
  const program = new Command()
    .name('tenantry')
    .description('Multi-tenant Supabase database foundation: migrate, inspect and demo it.\n' +
      'Uses DATABASE_URL when set, else the embedded database in TENANTRY_DATA_DIR (default .tenantry/db).')
    .exitOverride()
    .addHelpText('after', `
Examples:
  $ tenantry demo                      # what \`npm start\` runs
  $ tenantry sql "select count(*) from customers" --as anon
  $ tenantry <command> --help

Exit codes: 0 success, 1 error, 2 cannot connect, 130 interrupted; status, doctor and generate --check add their own.`)

  registerDemo(program)
  registerMigrate(program)
  registerStatus(program)
  registerReset(program)
  registerSeed(program)
  registerSql(program)
  registerToken(program)
  registerUsers(program)
  registerInvite(program)
  registerAccept(program)
  registerMembers(program)
  registerDashboard(program)
  registerAudit(program)
  registerRollups(program)
  registerOrgs(program)
  registerExport(program)
  registerImport(program)
  registerDoctor(program)
  registerGenerate(program)
  return program
}
