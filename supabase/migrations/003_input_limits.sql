-- 003_input_limits: sane limits on what callers can write, so that absurd input (a 10 MB name, a
-- 1 MB metadata document, a slug that is not URL-safe) is refused by the schema itself with a named
-- constraint, whichever client writes. Lengths are in characters; sizes of jsonb in bytes of its text.

-- ============================================================================
-- organizations
-- ============================================================================
-- A slug goes into URLs: lowercase letters and digits, with inner hyphens or underscores, 1 to 100 characters.
alter table public.organizations
  add constraint organizations_slug_format check (slug ~ '^[a-z0-9]([a-z0-9_-]{0,98}[a-z0-9])?$'),
  add constraint organizations_name_length check (char_length(btrim(name)) between 1 and 200);

-- ============================================================================
-- profiles
-- ============================================================================
alter table public.profiles
  add constraint profiles_email_length check (char_length(email) <= 320),
  add constraint profiles_full_name_length check (char_length(full_name) <= 200),
  add constraint profiles_avatar_url_length check (char_length(avatar_url) <= 2048);

-- ============================================================================
-- business tables
-- ============================================================================
alter table public.customers
  add constraint customers_name_length check (char_length(btrim(name)) between 1 and 200),
  add constraint customers_email_length check (char_length(email) <= 320),
  add constraint customers_company_length check (char_length(company) <= 200),
  add constraint customers_industry_length check (char_length(industry) <= 100);

alter table public.revenue
  add constraint revenue_category_length check (char_length(category) <= 100),
  add constraint revenue_description_length check (char_length(description) <= 2000);

-- Metadata is an object (the typed API promises one) of at most 64 KiB.
alter table public.activities
  add constraint activities_metadata_object check (jsonb_typeof(metadata) = 'object'),
  add constraint activities_metadata_size check (octet_length(metadata::text) <= 65536);

alter table public.ai_usage_log
  add constraint ai_usage_log_model_length check (char_length(btrim(model)) between 1 and 100);
