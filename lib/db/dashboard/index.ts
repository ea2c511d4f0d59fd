// The dashboard: one function per question, each over a session transaction (asUser), each calling the
// SQL function of the same name in migration 009 (the aggregates over the rollups of 013), so that supabase.rpc(...) gets the same rows. The
// *Query functions return the statement a question sends, for EXPLAIN.
export { activitiesByType, activitiesByTypeQuery, type ActivitiesByTypeRow, type Instant } from './activities-by-type.js'
export { aiUsageByDay, aiUsageByDayQuery, type AiUsageByDayRow, type AiUsageTotals } from './ai-usage-by-day.js'
export { aiUsageByModel, aiUsageByModelQuery, type AiUsageByModelRow } from './ai-usage-by-model.js'
export { aiUsageByUser, aiUsageByUserQuery, type AiUsageByUserRow } from './ai-usage-by-user.js'
export { callFunction, type FunctionRow, PRIVATE_IMPLEMENTATIONS } from './call-function.js'
export {
  CUSTOMERS_PAGE_DEFAULT_SIZE, customersPage, customersPageQuery, type CustomersPage, type CustomersPageQuery,
} from './customers-page.js'
export { monthlyRevenue, monthlyRevenueQuery, type MonthlyRevenueRow, type Period } from './monthly-revenue.js'
export { organizationSummary, organizationSummaryQuery, type OrganizationSummary } from './organization-summary.js'
export {
  SEARCH_ACTIVITIES_DEFAULT_SIZE, searchActivities, searchActivitiesQuery, type SearchActivitiesPage, type SearchActivitiesQuery,
} from './search-activities.js'
export { topCustomers, topCustomersQuery, type TopCustomerRow } from './top-customers.js'
