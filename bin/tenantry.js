#!/usr/bin/env node
// The `tenantry` package bin: runs cli/main.ts through tsx's loader (no build step).
import { register } from 'tsx/esm/api'

register()
await import(new URL('../cli/main.ts', import.meta.url).href)
