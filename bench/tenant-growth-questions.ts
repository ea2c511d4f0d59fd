// The dashboard functions the tenant-growth bench asks (bench/tenant-growth.ts): each as the dashboard
// module sends it (lib/db/dashboard), over windows of the 36-month history that ends before "now".
import type { RawBuilder } from 'kysely'
import {
  activitiesByTypeQuery, aiUsageByDayQuery, aiUsageByModelQuery, aiUsageByUserQuery, customersPageQuery,
  monthlyRevenueQuery, organizationSummaryQuery, searchActivitiesQuery, topCustomersQuery,
} from '../lib/db/dashboard/index.js'
import type { DateString, JsonObject } from '../lib/db/index.js'

export interface GrowthParams {
  /** First day of the history (36 months before end). */
  start: DateString
  /** First day after the history: the first of the current month. */
  end: DateString
  /** First day of the last 12 months. */
  year: DateString
  /** First day of the last 30 days. */
  last30: DateString
  /** The last day of history (the summary's "this month" is the last month of history). */
  asOf: DateString
  /** A document about 1% of activities contain. */
  commonDocument: JsonObject
}

export interface GrowthQuestion {
  name: string
  title: string
  table: 'customers' | 'revenue' | 'activities' | 'ai_usage_log'
  /**
   * What the answer's cost may grow with: rows (target big/small <= 1.5 and <= 15 ms), or the number
   * of customers or users (<= 30 ms at 20,000 customers and 50 users, whatever the row count).
   */
  bound: 'rows' | 'customers' | 'users'
  query(p: GrowthParams): RawBuilder<unknown>
}

const year = (p: GrowthParams) => ({ start: p.year, end: p.end })
const month = (p: GrowthParams) => ({ start: p.last30, end: p.end })

export const GROWTH_QUESTIONS: readonly GrowthQuestion[] = [
  { name: 'monthly_revenue_12m', title: 'monthly revenue, 12 months', table: 'revenue', bound: 'rows', query: (p) => monthlyRevenueQuery(year(p)) },
  { name: 'monthly_revenue_36m', title: 'monthly revenue, 36 months', table: 'revenue', bound: 'rows', query: (p) => monthlyRevenueQuery({ start: p.start, end: p.end }) },
  { name: 'top_customers', title: 'top 20 customers', table: 'customers', bound: 'customers', query: () => topCustomersQuery({ limit: 20 }) },
  { name: 'customers_page', title: 'first page of 50 customers', table: 'customers', bound: 'customers', query: () => customersPageQuery({ limit: 50 }) },
  {
    name: 'activities_by_type_12m', title: 'activities by type, 12 months', table: 'activities', bound: 'rows',
    query: (p) => activitiesByTypeQuery({ since: `${p.year}T00:00:00Z`, until: `${p.end}T00:00:00Z` }),
  },
  { name: 'ai_usage_by_day_12m', title: 'AI usage by day, 12 months', table: 'ai_usage_log', bound: 'rows', query: (p) => aiUsageByDayQuery(year(p)) },
  { name: 'ai_usage_by_model_12m', title: 'AI usage by model, 12 months', table: 'ai_usage_log', bound: 'rows', query: (p) => aiUsageByModelQuery(year(p)) },
  { name: 'ai_usage_by_user_12m', title: 'AI usage by user, 12 months', table: 'ai_usage_log', bound: 'users', query: (p) => aiUsageByUserQuery(year(p)) },
  { name: 'ai_usage_by_day_30d', title: 'AI usage by day, 30 days', table: 'ai_usage_log', bound: 'rows', query: (p) => aiUsageByDayQuery(month(p)) },
  { name: 'ai_usage_by_model_30d', title: 'AI usage by model, 30 days', table: 'ai_usage_log', bound: 'rows', query: (p) => aiUsageByModelQuery(month(p)) },
  { name: 'ai_usage_by_user_30d', title: 'AI usage by user, 30 days', table: 'ai_usage_log', bound: 'users', query: (p) => aiUsageByUserQuery(month(p)) },
  { name: 'organization_summary', title: 'organization summary', table: 'customers', bound: 'customers', query: (p) => organizationSummaryQuery({ asOf: p.asOf }) },
  {
    name: 'search_activities', title: 'newest 50 activities containing a common document', table: 'activities', bound: 'rows',
    query: (p) => searchActivitiesQuery({ document: p.commonDocument, limit: 50 }),
  },
]
