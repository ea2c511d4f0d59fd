// The seed's SQL: each statement takes a batch of planned rows as parameter arrays (unnest) and
// expands them set-based (generate_series, joins); nothing is inserted row by row. Per-row variation
// comes from hashint8extended(key, seed), a stable PostgreSQL hash: the same on PostgreSQL 15 and the
// embedded database, so a seed gives the same rows on both.
//
// Derived values are left to the schema: customers.total_revenue and last_purchase_date come from the
// revenue triggers, profiles from the auth.users trigger, audit rows from the audit triggers.
import { type Kysely, type RawBuilder, sql } from 'kysely'
import type { Database } from '../db/index.js'
import { ID_KIND, idPrefix, type Plan, type PlannedCustomer, type PlannedUser, planInvitations } from './plan.js'

type Db = Kysely<Database>

/** The 16-bit lane k (0..3) of a 64-bit hash as a float in [0, 1). */
function lane(hash: string, k: number): RawBuilder<number> {
  return sql<number>`(((${sql.raw(hash)} >> ${sql.raw(String(16 * k))}) & 65535)::float8 / 65536)`
}

/** `<prefix><counter as 12 hex digits>` as a uuid: the seed's deterministic ids (see plan.ts). */
function idSql(prefix: string, counter: RawBuilder<unknown>): RawBuilder<string> {
  return sql<string>`(${prefix}::text || lpad(to_hex(${counter}), 12, '0'))::uuid`
}

/** Organizations, auth users (profiles follow by trigger), memberships and preferences. */
export async function writeTenants(db: Db, plan: Plan): Promise<{ organizations: number; users: number }> {
  const { orgs, users } = plan
  await sql`
    insert into public.organizations (id, name, slug, created_at, updated_at)
    select id, name, slug, created_at, created_at
      from unnest(${orgs.map((o) => o.id)}::uuid[], ${orgs.map((o) => o.name)}::text[],
                  ${orgs.map((o) => o.slug)}::text[], ${orgs.map((o) => o.createdAt)}::timestamptz[])
           as o(id, name, slug, created_at)`.execute(db)

  const joined = users.map((u) => {
    const org = u.orgIndex === null ? undefined : orgs[u.orgIndex]
    // Joined within three months of the organization's creation; the outsider around the start of history.
    const base = org ? new Date(org.createdAt) : new Date(`${plan.calendar.monthStarts[0] ?? plan.calendar.end}T00:00:00Z`)
    return new Date(base.getTime() + (1 + (u.key % 90)) * 86_400_000 - (org ? 0 : 31 * 86_400_000)).toISOString()
  })
  // Only columns every auth.users has: Supabase's init scripts create an older table than GoTrue's
  // migrations leave (no email_confirmed_at; where it exists, confirmed_at is generated from it).
  await sql`
    insert into auth.users (id, aud, role, email, raw_app_meta_data, raw_user_meta_data, created_at, updated_at)
    select id, 'authenticated', 'authenticated', email,
           '{"provider": "email", "providers": ["email"]}'::jsonb,
           jsonb_build_object('full_name', full_name), created_at, created_at
      from unnest(${users.map((u) => u.id)}::uuid[], ${users.map((u) => u.email)}::text[],
                  ${users.map((u) => u.fullName)}::text[], ${joined}::timestamptz[]) as u(id, email, full_name, created_at)`.execute(db)

  // Memberships are the system's to set (as public.create_organization would for a founder); the
  // profile dates back to the signup, as if the trigger had run then.
  const members = users.flatMap((u, i) => (u.orgIndex === null ? [] : [{ user: u, orgIndex: u.orgIndex, joined: joined[i] ?? null }]))
  await sql`
    update public.profiles p
       set organization_id = m.organization_id, role = m.role, created_at = m.joined, updated_at = m.joined
      from unnest(${members.map((m) => m.user.id)}::uuid[], ${members.map((m) => orgs[m.orgIndex]?.id ?? null)}::uuid[],
                  ${members.map((m) => m.user.role)}::text[], ${members.map((m) => m.joined)}::timestamptz[])
           as m(id, organization_id, role, joined)
     where p.id = m.id`.execute(db)

  const themed = users.filter((u) => u.theme !== null)
  await sql`
    insert into public.user_preferences (user_id, theme_preference)
    select * from unnest(${themed.map((u) => u.id)}::uuid[], ${themed.map((u) => u.theme)}::text[])`.execute(db)
  return { organizations: orgs.length, users: users.length }
}

/**
 * The planned invitations (planInvitations), in their final states, as the system. Dates follow the
 * data: an accepted one was made two days before its member joined and ended when they did; an expired
 * one ran out before the end of the history; the others are recent, and pending ones valid for a week
 * from now. The token hash is the sha256 of a random value: no token exists for a seeded invitation.
 */
export async function writeInvitations(db: Db, plan: Plan): Promise<number> {
  const planned = planInvitations(plan)
  if (planned.length === 0) return 0
  const r = await sql`
    insert into public.invitations
      (id, organization_id, email, role, token_hash, invited_by, status, accepted_by, created_at, expires_at, ended_at)
    select i.id, o.id, i.email, i.role, sha256(uuid_send(gen_random_uuid())), i.invited_by,
           case i.kind when 'expired' then 'pending' else i.kind end, i.accepted_by,
           d.created_at, d.created_at + interval '7 days',
           case when i.kind in ('pending', 'expired') then null
                when i.kind = 'accepted' then d.created_at + interval '2 days'
                else d.created_at + interval '1 day' end
      from unnest(${planned.map((i) => i.id)}::uuid[], ${planned.map((i) => plan.orgs[i.orgIndex]?.id ?? null)}::uuid[],
                  ${planned.map((i) => i.kind)}::text[], ${planned.map((i) => i.email)}::text[], ${planned.map((i) => i.role)}::text[],
                  ${planned.map((i) => i.invitedBy)}::uuid[], ${planned.map((i) => i.acceptedBy)}::uuid[])
           as i(id, org_id, kind, email, role, invited_by, accepted_by)
      join public.organizations o on o.id = i.org_id
      left join public.profiles p on p.id = i.accepted_by
     cross join lateral (select case i.kind
              when 'accepted' then p.created_at - interval '2 days'
              when 'expired' then ${plan.calendar.end}::timestamptz - interval '20 days'
              else now() - interval '1 day' * (1 + mod(hashtext(i.email)::bigint + 2147483648, 5)) end as created_at) d`.execute(db)
  return Number(r.numAffectedRows ?? 0)
}

export interface BatchCounts {
  customers: number
  revenue: number
  activities: number
}

/**
 * One statement for a batch of customers: the customers, their months of revenue (subscription plus
 * seasonal one-off purchases, until they churn or pause), and their activities (signup, purchases
 * matching the one-off revenue rows, logins, exports, churn). The foreign-key checks and the
 * statement-level triggers run at the end of the statement, when all three are in place.
 */
export async function writeCustomerBatch(db: Db, plan: Plan, batch: PlannedCustomer[]): Promise<BatchCounts> {
  const result = await customerBatchQuery(plan, batch).execute(db)
  const row = result.rows[0]
  return { customers: Number(row?.customers ?? 0), revenue: Number(row?.revenue ?? 0), activities: Number(row?.activities ?? 0) }
}

/** The statement of writeCustomerBatch. */
export function customerBatchQuery(plan: Plan, batch: PlannedCustomer[]): RawBuilder<{ customers: string; revenue: string; activities: string }> {
  const seed = plan.config.seed
  const { monthStarts, monthLabels, season } = plan.calendar
  const col = <T>(f: (c: PlannedCustomer) => T): T[] => batch.map(f)
  const revenuePrefix = idPrefix(seed, ID_KIND.revenue)
  const activityPrefix = idPrefix(seed, ID_KIND.activity)

  return sql<{ customers: string; revenue: string; activities: string }>`
    with p as materialized (
      select * from unnest(
        ${col((c) => c.id)}::uuid[], ${col((c) => c.orgId)}::uuid[], ${col((c) => c.index)}::int8[],
        ${col((c) => c.key)}::int8[], ${col((c) => c.start)}::int4[], ${col((c) => c.stop)}::int4[],
        ${col((c) => c.firstDay)}::int4[], ${col((c) => c.base)}::float8[], ${col((c) => c.growth)}::float8[],
        ${col((c) => c.plan)}::text[], ${col((c) => c.name)}::text[], ${col((c) => c.email)}::text[],
        ${col((c) => c.company)}::text[], ${col((c) => c.industry)}::text[], ${col((c) => c.status)}::text[],
        ${col((c) => c.deletedAt)}::timestamptz[], ${col((c) => c.createdAt)}::timestamptz[],
        ${col((c) => c.source)}::text[]
      ) as p(id, org, idx, key, start, stop, first_day, base, growth, plan, name, email, company, industry,
             status, deleted_at, created_at, source)
    ),
    cal as materialized (
      select (c.n - 1)::int4 as m, c.month_start, c.label, c.season
        from unnest(${monthStarts}::date[], ${monthLabels}::text[], ${season}::float8[])
             with ordinality as c(month_start, label, season, n)
    ),
    -- One row per billed customer-month; h and e give it independent noise.
    billed as materialized (
      select p.id, p.org, p.idx, p.plan, p.base, p.start, p.first_day, c.m, c.month_start, c.label, c.season,
             p.base * power(1 + p.growth, c.m - p.start) * c.season as monthly,
             0.10 * c.season * c.season as t,
             hashint8extended(p.key * 64 + c.m, ${seed}) as h,
             hashint8extended(p.key * 64 + c.m, ${seed + 1}) as e
        from p join cal c on c.m >= p.start and c.m < p.stop
    ),
    rev as materialized (
      select b.id, b.org, b.idx * 64 + b.m * 2 as counter, false as extra,
             round((b.monthly * (0.92 + 0.16 * ${lane('b.h', 0)}))::numeric, 2) as amount,
             b.month_start + case when b.m = b.start then b.first_day else floor(${lane('b.h', 1)} * 28)::int end as date,
             'subscription' as category,
             initcap(b.plan) || ' plan, ' || b.label as description
        from billed b
      union all
      -- A seasonal one-off in about one month in ten (lane 2 < t): services in the lower half of
      -- [0, t), bigger, or else usage overage; lane 3 sizes it.
      select b.id, b.org, b.idx * 64 + b.m * 2 + 1, true,
             round((b.monthly * case when ${lane('b.h', 2)} < b.t / 2 then 0.3 + 1.5 * ${lane('b.h', 3)}
                                    else 0.05 + 0.4 * ${lane('b.h', 3)} end)::numeric, 2),
             b.month_start + case when b.m = b.start then b.first_day + floor(${lane('b.h', 3)} * (28 - b.first_day))::int
                                  else (floor(${lane('b.h', 1)} * 28)::int + 14) % 28 end,
             case when ${lane('b.h', 2)} < b.t / 2 then 'services' else 'usage' end,
             case when ${lane('b.h', 2)} < b.t / 4 then 'Onboarding and training'
                  when ${lane('b.h', 2)} < b.t / 2 then 'Consulting hours'
                  else 'Usage overage' end
        from billed b
       where ${lane('b.h', 2)} < b.t
    ),
    ins_customers as (
      insert into public.customers (id, organization_id, name, email, company, industry, status, deleted_at, created_at, updated_at)
      select id, org, name, email, company, industry, status, deleted_at, created_at, coalesce(deleted_at, created_at)
        from p
      returning 1
    ),
    ins_revenue as (
      insert into public.revenue (id, organization_id, customer_id, amount, date, category, description, created_at)
      select ${idSql(revenuePrefix, sql`r.counter`)}, r.org, r.id, r.amount, r.date, r.category, r.description,
             (r.date + time '09:00' + (r.counter % 600) * interval '1 minute') at time zone 'UTC'
        from rev r
      returning 1
    ),
    events as (
      select p.id, p.org, p.idx * 256 + 48 as counter, 'signup' as type, p.created_at,
             jsonb_build_object('source', p.source, 'plan', p.plan) as metadata
        from p
      union all
      select p.id, p.org, p.idx * 256 + 49, 'churn', (c.month_start + (p.key % 28)::int + time '16:00') at time zone 'UTC',
             jsonb_build_object(
               'plan', p.plan,
               'reason', (array['price', 'competitor', 'no longer needed', 'missing feature', 'support'])[1 + (p.key % 5)::int],
               'mrr_lost', round((p.base * power(1 + p.growth, p.stop - 1 - p.start))::numeric, 2))
        from p join cal c on c.m = p.stop
       where p.status = 'churned'
      union all
      select r.id, r.org, (r.counter / 64) * 256 + r.counter % 64, 'purchase', (r.date + time '11:00') at time zone 'UTC',
             jsonb_build_object('category', r.category, 'amount', r.amount, 'currency', 'USD',
                                'invoice', 'INV-' || to_char(r.date, 'YYYYMM') || '-' || lpad((r.counter % 1000000)::text, 6, '0'))
        from rev r
       where r.extra
      union all
      -- Up to three logins and one export a billed month, from the four lanes of e.
      select b.id, b.org, b.idx * 256 + 64 + b.m * 4 + k.k, k.type,
             (b.month_start + (((b.e >> (16 * k.k)) & 65535) % 28)::int + time '08:00'
               + (((b.e >> (16 * k.k)) & 65535) % 600) * interval '1 minute') at time zone 'UTC',
             case k.type
               when 'login' then jsonb_build_object(
                 'channel', (array['web', 'web', 'ios', 'android'])[1 + (((b.e >> (16 * k.k)) & 65535) % 4)::int],
                 'country', (array['US', 'DE', 'GB', 'FR', 'BR', 'IN', 'JP', 'NG'])[1 + (((b.e >> (16 * k.k)) & 65535) / 4 % 8)::int])
               else jsonb_build_object(
                 'format', (array['csv', 'xlsx', 'pdf'])[1 + (((b.e >> (16 * k.k)) & 65535) % 3)::int],
                 'report', (array['invoices', 'usage', 'contacts', 'revenue'])[1 + (((b.e >> (16 * k.k)) & 65535) / 3 % 4)::int],
                 'rows', 10 + ((b.e >> (16 * k.k)) & 65535) % 5000)
             end
        from billed b
       cross join (values (0, 'login'), (1, 'login'), (2, 'login'), (3, 'export')) as k(k, type)
       where ((b.e >> (16 * k.k)) & 65535) < case k.type when 'login' then 3300 else 2600 end
    ),
    ins_activities as (
      insert into public.activities (id, organization_id, type, customer_id, metadata, created_at)
      select ${idSql(activityPrefix, sql`e.counter`)}, e.org, e.type, e.id, e.metadata, e.created_at
        from events e
      returning 1
    )
    select (select count(*) from ins_customers) as customers,
           (select count(*) from ins_revenue) as revenue,
           (select count(*) from ins_activities) as activities`
}

/** Daily AI queries of members over the last 90 days of history: heavier on working days. */
export async function writeAiUsage(db: Db, plan: Plan, users: PlannedUser[]): Promise<number> {
  const seed = plan.config.seed
  const withOrg = users.filter((u) => u.orgIndex !== null)
  if (withOrg.length === 0) return 0
  // Lane 0: whether the slot holds a query; 1, 2: input and output tokens; 3: the model.
  const result = await sql`
    insert into public.ai_usage_log (id, user_id, organization_id, query_id, input_tokens, output_tokens, cost_usd, model, date, created_at)
    select ${idSql(idPrefix(seed, ID_KIND.aiUsage), sql`x.counter`)}, x.id, x.org,
           ${idSql(idPrefix(seed, ID_KIND.aiQuery), sql`x.counter`)},
           x.input_tokens, x.output_tokens,
           round(((x.input_tokens * (array[0.15, 2.50, 0.80, 3.00])[x.model]
                   + x.output_tokens * (array[0.60, 10.0, 4.00, 15.0])[x.model]) / 1e6)::numeric, 4),
           (array['gpt-4o-mini', 'gpt-4o', 'claude-3-5-haiku', 'claude-3-5-sonnet'])[x.model],
           x.day, (x.day + time '08:00' + (x.counter * 7919 % 600) * interval '1 minute') at time zone 'UTC'
      from (
        select u.id, u.org, u.idx * 2048 + d.d * 12 + s.s as counter, ${plan.calendar.end}::date - 90 + d.d as day,
               150 + floor(${lane('h.h', 1)} ^ 2 * 6000)::int as input_tokens,
               40 + floor(${lane('h.h', 2)} * 1200)::int as output_tokens,
               case when ${lane('h.h', 3)} < 0.45 then 1 when ${lane('h.h', 3)} < 0.65 then 2
                    when ${lane('h.h', 3)} < 0.90 then 3 else 4 end as model
          from unnest(${withOrg.map((u) => u.id)}::uuid[], ${withOrg.map((u) => plan.orgs[u.orgIndex ?? 0]?.id ?? null)}::uuid[],
                      ${withOrg.map((u) => u.index)}::int8[], ${withOrg.map((u) => u.key)}::int8[],
                      ${withOrg.map((u) => u.aiQueriesPerDay)}::float8[]) as u(id, org, idx, key, rate)
         cross join generate_series(0, 89) as d(d)
         cross join generate_series(0, 11) as s(s)
         cross join lateral (select hashint8extended(u.key * 2048 + d.d * 12 + s.s, ${seed + 3}) as h) h
         where ${lane('h.h', 0)} < u.rate / 12
                 * case when extract(isodow from ${plan.calendar.end}::date - 90 + d.d) > 5 then 0.25 else 1 end
      ) x`.execute(db)
  return Number(result.numAffectedRows ?? 0)
}
