// The dashboard's questions in two forms:
//   app   the statement the dashboard module (lib/db/dashboard) sends, run as a member: the SQL
//         function of migration 009, under the caller's policies (the search: with the owner's
//         rights and its own tenant filter);
//   hand  the same question written by hand and run by the owner (RLS bypassed), with the
//         organization id (and, for AI usage, the member's id) as literals and `deleted_at is null`
//         written out: the baseline.
// test/dashboard.test.ts checks that both return the same rows.
import { type RawBuilder, sql } from 'kysely'
import {
  activitiesByTypeQuery, aiUsageByDayQuery, aiUsageByModelQuery, aiUsageByUserQuery, customersPageQuery,
  monthlyRevenueQuery, organizationSummaryQuery, type Period, searchActivitiesQuery, topCustomersQuery,
} from '../lib/db/dashboard/index.js'
import type { DateString, JsonObject } from '../lib/db/index.js'
import type { Plan } from '../lib/seed/plan.js'

export interface DashboardParams {
  /** The last 12 months of history. */
  revenue: Period
  /** The last 30 days of history, as timestamps. */
  activities: { since: string; until: string }
  /** The last 30 days of history. */
  aiUsage: Period
  /** The last day of history: the summary's "this month" is the last month of history. */
  asOf: DateString
  /** A document about 1% of activities contain. */
  commonDocument: JsonObject
  /** A document a few activities in the whole table contain. */
  rareDocument: JsonObject
}

/** Whose question: the organization and the member asking. */
export interface Asker {
  id: string
  memberId: string
}

export type QuestionTable = 'customers' | 'revenue' | 'activities' | 'ai_usage_log'

export interface Question {
  name: string
  title: string
  /** The table whose rows the question reads (for the plan tests and the report). */
  table: QuestionTable
  app(p: DashboardParams): RawBuilder<unknown>
  hand(asker: Asker, p: DashboardParams): RawBuilder<unknown>
}

function daysBefore(date: DateString, days: number): DateString {
  const d = new Date(`${date}T00:00:00Z`)
  d.setUTCDate(d.getUTCDate() - days)
  return d.toISOString().slice(0, 10)
}

/** The dashboard's "now" is the end of the seeded history, so that the data is the same any day it runs. */
export function dashboardParams(plan: Plan): DashboardParams {
  const { monthStarts, end } = plan.calendar
  return {
    revenue: { start: monthStarts[monthStarts.length - 12] ?? end, end },
    activities: { since: `${daysBefore(end, 30)}T00:00:00Z`, until: `${end}T00:00:00Z` },
    aiUsage: { start: daysBefore(end, 30), end },
    asOf: daysBefore(end, 1),
    commonDocument: { format: 'pdf', report: 'revenue' },
    rareDocument: { rows: 1234 },
  }
}

const org = (a: Asker) => sql.lit(a.id)

/** AI usage a member may read: their own (the policy gives admins the organization's; the bench asks as a member). */
const ownUsage = (a: Asker) => sql`u.organization_id = ${org(a)} and u.user_id = ${sql.lit(a.memberId)}`

export const DASHBOARD_QUESTIONS: readonly Question[] = [
  {
    name: 'monthly_revenue',
    title: 'monthly revenue, last 12 months',
    table: 'revenue',
    app: (p) => monthlyRevenueQuery(p.revenue),
    hand: (a, p) => sql`select date_trunc('month', r.date::timestamp)::date as month, sum(r.amount) as total, count(*) as invoices
      from public.revenue r
     where r.organization_id = ${org(a)} and r.deleted_at is null
       and r.date >= ${sql.lit(p.revenue.start)}::date and r.date < ${sql.lit(p.revenue.end)}::date
     group by 1 order by 1`,
  },
  {
    name: 'top_customers',
    title: 'top 20 customers by total revenue',
    table: 'customers',
    app: () => topCustomersQuery({ limit: 20 }),
    hand: (a) => sql`select c.id, c.name, c.company, c.status, c.total_revenue, c.last_purchase_date
      from public.customers c
     where c.organization_id = ${org(a)} and c.deleted_at is null
     order by c.total_revenue desc, c.id limit 20`,
  },
  {
    name: 'customers_page',
    title: 'first page of 50 customers, newest first',
    table: 'customers',
    app: () => customersPageQuery({ limit: 50 }),
    hand: (a) => sql`select c.*
      from public.customers c
     where c.organization_id = ${org(a)} and c.deleted_at is null
     order by c.created_at desc, c.id desc limit 50`,
  },
  {
    name: 'customers_page_filtered',
    title: 'page of 50 active customers whose name starts with "a"',
    table: 'customers',
    app: () => customersPageQuery({ limit: 50, status: 'active', namePrefix: 'a' }),
    hand: (a) => sql`select c.*
      from public.customers c
     where c.organization_id = ${org(a)} and c.deleted_at is null and c.status = 'active' and starts_with(lower(c.name), 'a')
     order by c.created_at desc, c.id desc limit 50`,
  },
  {
    name: 'activities_by_type',
    title: 'activities by type, last 30 days',
    table: 'activities',
    app: (p) => activitiesByTypeQuery(p.activities),
    hand: (a, p) => sql`select a.type, count(*) as activities
      from public.activities a
     where a.organization_id = ${org(a)} and a.deleted_at is null
       and a.created_at >= ${sql.lit(p.activities.since)}::timestamptz and a.created_at < ${sql.lit(p.activities.until)}::timestamptz
     group by a.type order by 2 desc, 1`,
  },
  {
    name: 'metadata_common',
    title: 'newest 50 activities containing a common document',
    table: 'activities',
    app: (p) => searchActivitiesQuery({ document: p.commonDocument, limit: 50 }),
    hand: (a, p) => sql`select a.*
      from public.activities a
     where a.organization_id = ${org(a)} and a.deleted_at is null and a.metadata @> ${sql.lit(JSON.stringify(p.commonDocument))}::jsonb
     order by a.created_at desc, a.id desc limit 50`,
  },
  {
    name: 'metadata_rare',
    title: 'newest 50 activities containing a rare document',
    table: 'activities',
    app: (p) => searchActivitiesQuery({ document: p.rareDocument, limit: 50 }),
    hand: (a, p) => sql`select a.*
      from public.activities a
     where a.organization_id = ${org(a)} and a.deleted_at is null and a.metadata @> ${sql.lit(JSON.stringify(p.rareDocument))}::jsonb
     order by a.created_at desc, a.id desc limit 50`,
  },
  {
    name: 'ai_usage_by_day',
    title: "a member's AI usage by day, last 30 days",
    table: 'ai_usage_log',
    app: (p) => aiUsageByDayQuery(p.aiUsage),
    hand: (a, p) => sql`select u.date as day, count(*) as calls, sum(u.input_tokens)::bigint as input_tokens,
             sum(u.output_tokens)::bigint as output_tokens, sum(u.cost_usd) as cost_usd
      from public.ai_usage_log u
     where ${ownUsage(a)} and u.date >= ${sql.lit(p.aiUsage.start)}::date and u.date < ${sql.lit(p.aiUsage.end)}::date
     group by u.date order by u.date`,
  },
  {
    name: 'ai_usage_by_model',
    title: "a member's AI usage by model, last 30 days",
    table: 'ai_usage_log',
    app: (p) => aiUsageByModelQuery(p.aiUsage),
    hand: (a, p) => sql`select u.model, count(*) as calls, sum(u.input_tokens)::bigint as input_tokens,
             sum(u.output_tokens)::bigint as output_tokens, sum(u.cost_usd) as cost_usd
      from public.ai_usage_log u
     where ${ownUsage(a)} and u.date >= ${sql.lit(p.aiUsage.start)}::date and u.date < ${sql.lit(p.aiUsage.end)}::date
     group by u.model order by 5 desc, 1`,
  },
  {
    name: 'ai_usage_by_user',
    title: "a member's AI usage by user, last 30 days",
    table: 'ai_usage_log',
    app: (p) => aiUsageByUserQuery(p.aiUsage),
    hand: (a, p) => sql`select u.user_id, count(*) as calls, sum(u.input_tokens)::bigint as input_tokens,
             sum(u.output_tokens)::bigint as output_tokens, sum(u.cost_usd) as cost_usd
      from public.ai_usage_log u
     where ${ownUsage(a)} and u.date >= ${sql.lit(p.aiUsage.start)}::date and u.date < ${sql.lit(p.aiUsage.end)}::date
     group by u.user_id order by 5 desc, 1`,
  },
  {
    name: 'organization_summary',
    title: 'organization summary',
    table: 'customers',
    app: (p) => organizationSummaryQuery({ asOf: p.asOf }),
    hand: (a, p) => {
      const month = new Date(`${p.asOf.slice(0, 7)}-01T00:00:00Z`)
      const iso = (d: Date) => d.toISOString().slice(0, 10)
      const at = (offset: number) => sql.lit(iso(new Date(Date.UTC(month.getUTCFullYear(), month.getUTCMonth() + offset, 1))))
      return sql`select ${org(a)}::uuid as organization_id,
             (select count(*) from public.customers c where c.organization_id = ${org(a)} and c.deleted_at is null and c.status = 'active') as active_customers,
             (select count(*) from public.customers c where c.organization_id = ${org(a)} and c.deleted_at is null and c.status = 'inactive') as inactive_customers,
             (select count(*) from public.customers c where c.organization_id = ${org(a)} and c.deleted_at is null and c.status = 'churned') as churned_customers,
             (select coalesce(sum(r.amount), 0) from public.revenue r where r.organization_id = ${org(a)} and r.deleted_at is null
                 and r.date >= ${at(0)}::date and r.date < ${at(1)}::date) as revenue_this_month,
             (select coalesce(sum(r.amount), 0) from public.revenue r where r.organization_id = ${org(a)} and r.deleted_at is null
                 and r.date >= ${at(-1)}::date and r.date < ${at(0)}::date) as revenue_last_month,
             (select count(*) from public.profiles p where p.organization_id = ${org(a)}) as active_users`
    },
  },
]

/**
 * The metadata search as a supabase-js user writes it without search_activities():
 * `.from('activities').select('*').contains('metadata', doc).order('created_at', { ascending: false })
 * .order('id', { ascending: false }).limit(50)`, which PostgREST sends as a jsonb `@>` on the table under
 * the caller's policies (no organization id: the client does not pass one). `@>` is not leakproof, so
 * the planner may not use the metadata index before the policy: docs/dashboard.md. Measured against the
 * same hand-written queries as metadata_common / metadata_rare (the search function's figures).
 */
export const PLAIN_CONTAINS_QUESTIONS: readonly Question[] = (['common', 'rare'] as const).map((which): Question => {
  const searched = DASHBOARD_QUESTIONS.find((q) => q.name === `metadata_${which}`)
  if (!searched) throw new Error(`no metadata_${which} question`)
  const doc = (p: DashboardParams): JsonObject => (which === 'common' ? p.commonDocument : p.rareDocument)
  return {
    name: `contains_${which}`,
    title: `newest 50 activities containing a ${which} document, as supabase-js .contains() sends it`,
    table: 'activities',
    app: (p) => sql`select a.* from public.activities a
     where a.metadata @> ${sql.lit(JSON.stringify(doc(p)))}::jsonb
     order by a.created_at desc, a.id desc limit 50`,
    hand: searched.hand,
  }
})
