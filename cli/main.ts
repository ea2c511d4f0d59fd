#!/usr/bin/env node
// The tenantry command line: one file per command in cli/commands, each a library function that
// returns data plus a thin wrapper that prints it and sets the exit code.
import { CommanderError } from 'commander'
import { ConnectionError, EXIT, InterruptedError, reportError } from './output.js'
import { buildProgram } from './program.js'

// A reader that stops early (`tenantry --help | head -1`) closes the pipe: that ends the output, not
// in a crash. The exit code is what a shell reports for SIGPIPE.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(128 + 13)
  throw e
})

try {
  await buildProgram().parseAsync(process.argv)
} catch (e) {
  if (e instanceof CommanderError) process.exitCode = e.exitCode
  else process.exitCode = reportError(e)
  // After Ctrl-C or an unreachable server, work may still be pending (an abandoned query, a socket
  // that is still connecting): the database is closed or was never open, so end now.
  if (e instanceof InterruptedError) process.exit(EXIT.interrupted)
  if (e instanceof ConnectionError) process.exit(EXIT.connection)
}
