#!/usr/bin/env node
// The `sigil` command: everything lives in src/cli/main.ts; this file only wires the process.
import { processIo } from "../src/cli/io.ts";
import { main } from "../src/cli/main.ts";

const code = await main(process.argv.slice(2), processIo());
process.exitCode = code;
// Once main has returned nothing is left to do; a handle some library forgot to close must not
// keep the process alive (unref: this timer alone does not hold it open either).
setTimeout(() => process.exit(code), 2000).unref();
