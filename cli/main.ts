#!/usr/bin/env node
// The tenantry command line: one file per command in cli/commands, each a library function that
// returns data plus a thin wrapper that prints it and sets the exit code.
import { Command, CommanderError } from 'commander'
import { register as registerGenTypes } from './commands/gen-types.js'
import { reportError } from './output.js'

const program = new Command()
  .name('tenantry')
  .description('Multi-tenant Supabase database foundation: migrate, inspect and demo it.\n' +
    'Uses DATABASE_URL when set, else the embedded database in TENANTRY_DATA_DIR (default .tenantry/db).')
  .showHelpAfterError('(run with --help for usage)')
  .exitOverride()

registerGenTypes(program)

try {
  await program.parseAsync(process.argv)
} catch (e) {
  if (e instanceof CommanderError) process.exitCode = e.exitCode
  else process.exitCode = reportError(e)
}
