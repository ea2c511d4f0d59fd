// The benchmark's result as tables (cli-table3) and as the JSON file's name.
import Table from 'cli-table3'
import type { BenchResult } from './index.js'

const ms = (x: number): string => (Number.isFinite(x) ? (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(3)) : 'n/a')
const ratio = (x: number): string => (Number.isFinite(x) ? x.toFixed(2) : 'n/a')
const n = (x: number): string => x.toLocaleString('en-US')
const yes = (met: boolean): string => (met ? 'yes' : 'NO')

function table(head: string[]): Table.Table {
  return new Table({ head, style: { head: [], border: [] } })
}

export function renderTables(r: BenchResult): string {
  const out: string[] = []
  const d = r.dataset
  out.push(`tenantry bench, ${r.date}: ${r.database.kind} (${r.database.version.split(',')[0]}), ${r.machine.cores} cores, ` +
    `${r.machine.memoryGb} GB, node ${r.machine.node}, load average at the end ${r.machine.loadAverage.join(' ')}`)
  out.push(`dataset: ${n(d.counts.customers)} customers, ${n(d.counts.revenue)} revenue rows, ${n(d.counts.activities)} activities in ` +
    `${n(r.sizes.organizations)} organizations; largest ${d.organizations.largest.slug} (${n(d.organizations.largest.rows.activities)} activities), ` +
    `small ${d.organizations.small.slug} (${n(d.organizations.small.rows.activities)}); built in ${d.buildSeconds.toFixed(0)} s`)
  out.push(`times: ${r.timing}`)

  const o = table(['question', 'org', 'org rows', 'by hand ms', 'module ms', 'ratio', 'added ms', 'target', 'met'])
  for (const f of r.overhead) {
    o.push([f.query, f.org, n(f.orgRows), ms(f.handMs), ms(f.appMs), ratio(f.ratio), ms(f.addedMs), f.target, yes(f.met)])
  }
  out.push('RLS overhead: the dashboard module as a member / the question by hand as the owner, literal organization id', o.toString())
  if (r.plainContains.length > 0) {
    const c = table(['document', 'org', 'by hand ms', '.contains() under RLS ms (ratio)', 'search_activities() ms (ratio)'])
    for (const f of r.plainContains) {
      const which = f.query.replace('contains_', '')
      const fn = r.overhead.find((x) => x.query === `metadata_${which}` && x.org === f.org)
      c.push([which, f.org, ms(f.handMs), `${ms(f.appMs)} (${ratio(f.ratio)})`, fn ? `${ms(fn.appMs)} (${ratio(fn.ratio)})` : ''])
    }
    out.push('The metadata search: a jsonb @> on the table as a member (what supabase-js .contains() sends) against search_activities(), ' +
      'each over the same query by hand', c.toString())
  }
  out.push(`membership lookup alone (select (select private.current_org_id()) minus select (select null::uuid), as the member): ` +
    `${ms(r.lookup.addedMs)} ms, the floor of what RLS adds to a statement`)

  if (r.shapes.length > 0) {
    const names = [...new Set(r.shapes.map((s) => s.shape))]
    const s = table(['question', 'org', 'by hand ms', 'this design (ratio)', ...names.map((x) => `${x} ms (ratio)`)])
    for (const f of r.overhead.filter((x) => r.shapes.some((y) => y.query === x.query))) {
      const row = [f.query, f.org, ms(f.handMs), `${ms(f.appMs)} (${ratio(f.ratio)})`]
      for (const name of names) {
        const x = r.shapes.find((y) => y.shape === name && y.query === f.query && y.org === f.org)
        row.push(x ? `${x.timeouts ? '>= ' : ''}${ms(x.shapeMs)} (${ratio(x.ratio)})` : '')
      }
      s.push(row)
    }
    out.push('What the design saves: the module as a member under each variant, against the hand-written query measured alongside it ' +
      '(before_005: this design without migration 005; original: the plan\'s policies; per_row_helper: a helper called per row)', s.toString())
  }

  const stages = [...new Set(r.scaling.map((x) => x.stage))].sort()
  const sc = table(['query (fixed org)', ...stages.map((st) => {
    const x = r.scaling.find((y) => y.stage === st)
    return `stage ${st}: x${x ? x.growth.revenue.toFixed(1) : '?'} rows, ms (ratio), buffers`
  }), 'met (<= 1.5)'])
  for (const q of [...new Set(r.scaling.map((x) => x.query))]) {
    const cells = stages.map((st) => {
      const x = r.scaling.find((y) => y.stage === st && y.query === q)
      return x ? `${ms(x.rlsMs)} (${ratio(x.ratio)}) ${n(x.buffers)} buf` : ''
    })
    sc.push([q, ...cells, yes(r.scaling.filter((y) => y.query === q).every((y) => y.met))])
  }
  sc.push(['(reference query, no table: machine drift)', ...stages.map((st) => {
    const x = r.scaling.find((y) => y.stage === st)
    return x ? `x${x.machineDrift.toFixed(2)}` : ''
  }), ''])
  out.push(`Tenant scaling: ${d.organizations.fixed.slug} (${n(d.organizations.fixed.rows.revenue)} revenue rows) as a member while the tables grow`,
    sc.toString())

  const a = table(['audit', 'with audit ms', 'without ms', 'ratio', 'target', 'met'])
  for (const f of r.audit) a.push([f.title, ms(f.auditMs), ms(f.noAuditMs), ratio(f.ratio), `<= ${f.target}`, yes(f.met)])
  out.push('Audit cost', a.toString())

  if (r.seeding) {
    const f = r.seeding
    const s = table(['seeding (tenantry seed, triggers and audit on)', 'figure', 'target', 'met'])
    s.push([`revenue rows per second (${n(f.counts.revenue)} in ${f.seconds.toFixed(1)} s, concurrency ${f.concurrency})`,
      n(f.revenuePerSecond), `>= ${n(f.target)}`, yes(f.met)])
    s.push(['customers, revenue and activities per second', n(f.rowsPerSecond), '', ''])
    s.push(['process memory, MB: start, then each tenth of the customers', f.rssMb.join(' '), 'flat', ''])
    const b = table(['one batch of the seed (EXPLAIN ANALYZE, rolled back)', 'ms', 'share'])
    for (const p of f.breakdown.parts) b.push([p.part, ms(p.ms), `${(100 * p.share).toFixed(0)}%`])
    b.push([`the statement (${n(f.breakdown.revenueRows)} revenue rows with their customers and activities)`, ms(f.breakdown.executionMs), '100%'])
    out.push(`Seeding: tenantry seed --orgs ${f.config.organizations} --customers ${n(f.config.customers)} --end-month ${f.config.endMonth}`,
      s.toString(), b.toString())
  }

  if (r.start) {
    const st = table(['embedded start', 'median ms', 'target', 'met'])
    st.push(['load modules + open data directory + first answer', ms(r.start.openToAnswerMs), '< 1000', yes(r.start.met)])
    st.push(['  of which: load modules', ms(r.start.importMs), '', ''])
    st.push(['  of which: open', ms(r.start.openMs), '', ''])
    st.push(['  of which: first query (as a member)', ms(r.start.firstQueryMs), '', ''])
    st.push(['process start to first answer (node + tsx)', ms(r.start.sinceProcessStartMs), '', ''])
    out.push('Embedded start (child processes)', st.toString())
  }
  out.push(`total ${r.seconds.toFixed(0)} s`)
  return out.join('\n')
}

/** bench/results/<date>-<db>.json */
export function resultFileName(r: BenchResult): string {
  const db = r.database.kind === 'embedded' ? 'embedded' : `pg${/PostgreSQL (\d+)/.exec(r.database.version)?.[1] ?? ''}`
  return `${r.date.slice(0, 19).replaceAll(':', '-')}-${db}.json`
}
