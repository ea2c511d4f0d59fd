// The one way to spell the instruction that regenerates every generated file: in their headers, in
// test failure messages and in the CLI's own --check report.
export const REGENERATE = 'npx tenantry generate'
