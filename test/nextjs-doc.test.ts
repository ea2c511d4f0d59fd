// docs/nextjs.md shows an app's files; this compiles them. Each TypeScript block names its file in its
// first line; the blocks become virtual files of an app folder inside the project (so that packages
// resolve from node_modules), with the tsconfig paths the doc gives and the compiler options of a
// Next.js app (strict, bundler resolution). The real @supabase/ssr, @supabase/supabase-js and
// lib/db are used; next/headers and next/server, not installed, are declared below with the Next
// 15/16 signatures the doc relies on.
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import ts from 'typescript'
import { PROJECT_ROOT } from '../lib/paths.js'
import { checkedByEmbeddedRun } from './support/db.js'

const DOC = join(PROJECT_ROOT, 'docs', 'nextjs.md')
/** Never written to disk: the compiler host below serves the files. */
const APP = join(PROJECT_ROOT, '.nextjs-doc-app')

const NEXT_DECLARATIONS = `
declare module 'next/headers' {
  export interface RequestCookie { name: string; value: string }
  export interface ResponseCookieOptions {
    domain?: string; expires?: number | Date; httpOnly?: boolean; maxAge?: number; path?: string
    sameSite?: boolean | 'lax' | 'strict' | 'none'; secure?: boolean; priority?: 'low' | 'medium' | 'high'; partitioned?: boolean
  }
  export interface ReadonlyRequestCookies {
    get(name: string): RequestCookie | undefined
    getAll(): RequestCookie[]
    has(name: string): boolean
    /** Throws outside a route handler or server action. */
    set(name: string, value: string, options?: ResponseCookieOptions): void
  }
  export function cookies(): Promise<ReadonlyRequestCookies>
  export function headers(): Promise<Headers>
}
declare module 'next/server' {
  import type { RequestCookie, ResponseCookieOptions } from 'next/headers'
  export class NextRequest extends Request {
    readonly cookies: { get(name: string): RequestCookie | undefined; getAll(): RequestCookie[]; set(name: string, value: string): void }
    readonly nextUrl: URL
  }
  export class NextResponse<Body = unknown> extends Response {
    readonly cookies: { set(name: string, value: string, options?: ResponseCookieOptions): void }
    static json<Body>(body: Body, init?: ResponseInit): NextResponse<Body>
    static next(init?: { request?: { headers?: Headers } }): NextResponse
  }
}
`

interface Block {
  lang: string
  body: string
}

function blocks(text: string): Block[] {
  return [...text.matchAll(/^```(\w*)\n([\s\S]*?)^```$/gm)].map((m) => ({ lang: m[1] ?? '', body: m[2] ?? '' }))
}

test('every TypeScript block of docs/nextjs.md compiles as a file of a Next.js app', { skip: checkedByEmbeddedRun }, () => {
  const doc = readFileSync(DOC, 'utf8')
  const all = blocks(doc)
  const code = all.filter((b) => b.lang === 'ts' || b.lang === 'tsx')
  assert.ok(code.length >= 6, `found ${code.length} TypeScript blocks`)

  // The tsconfig block of the doc is the one the compilation uses.
  const tsconfigBlock = all.find((b) => b.lang === 'json' && b.body.includes('"paths"'))
  assert.ok(tsconfigBlock, 'the doc shows the tsconfig paths')
  const tsconfig: unknown = JSON.parse(tsconfigBlock.body)
  assert.deepEqual(tsconfig, {
    compilerOptions: {
      paths: {
        '@/*': ['./*'],
        '@tenantry/db': ['./tenantry/lib/db/index.ts'],
        '@tenantry/database.types': ['./tenantry/supabase/database.types.ts'],
      },
    },
  })

  const files = new Map<string, string>()
  for (const block of code) {
    const name = /^\/\/ ([\w./-]+\.tsx?)\n/.exec(block.body)?.[1]
    assert.ok(name, `a TypeScript block must name its file in its first line:\n${block.body.slice(0, 200)}`)
    const path = join(APP, name)
    assert.ok(!files.has(path), `${name} appears twice`)
    files.set(path, block.body)
  }
  files.set(join(APP, 'next-declarations.d.ts'), NEXT_DECLARATIONS)

  const options: ts.CompilerOptions = {
    strict: true,
    noEmit: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    lib: ['lib.es2022.d.ts', 'lib.dom.d.ts', 'lib.dom.iterable.d.ts'],
    types: ['node'],
    skipLibCheck: true,
    isolatedModules: true,
    esModuleInterop: true,
    noUncheckedIndexedAccess: true,
    // The doc's paths, with the repository where the app has it (tenantry/).
    paths: {
      '@/*': [join(APP, '*')],
      '@tenantry/db': [join(PROJECT_ROOT, 'lib', 'db', 'index.ts')],
      '@tenantry/database.types': [join(PROJECT_ROOT, 'supabase', 'database.types.ts')],
    },
  }
  const host = ts.createCompilerHost(options)
  const { fileExists, readFile, getSourceFile, directoryExists } = host
  host.getCurrentDirectory = () => PROJECT_ROOT
  host.fileExists = (f) => files.has(f) || fileExists.call(host, f)
  host.readFile = (f) => files.get(f) ?? readFile.call(host, f)
  host.directoryExists = (d) => d.startsWith(APP) || (directoryExists?.call(host, d) ?? true)
  host.getSourceFile = (f, languageVersion, onError, shouldCreate) => {
    const text = files.get(f)
    return text !== undefined ? ts.createSourceFile(f, text, languageVersion, true) : getSourceFile.call(host, f, languageVersion, onError, shouldCreate)
  }
  const program = ts.createProgram([...files.keys()], options, host)
  const diagnostics = ts.getPreEmitDiagnostics(program)
  const report = ts.formatDiagnostics(diagnostics, {
    getCanonicalFileName: (f) => f,
    getCurrentDirectory: () => PROJECT_ROOT,
    getNewLine: () => '\n',
  })
  assert.equal(diagnostics.length, 0, report)
  // The blocks were really compiled against the library, not against nothing.
  const route = program.getSourceFile(join(APP, 'app/api/customers/route.ts'))
  assert.ok(route, 'the route handler is part of the program')
  assert.ok(program.getSourceFiles().some((f) => f.fileName === join(PROJECT_ROOT, 'lib', 'db', 'access-token.ts')))
})
