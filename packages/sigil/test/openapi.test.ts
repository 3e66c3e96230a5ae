// The OpenAPI description covers every control-plane route of the route table, with its method.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { parse } from "yaml";
import { ROUTES } from "../src/gateway/routes.ts";

test("docs/openapi.yaml documents every /sigil/v1 route and method", () => {
	const doc = parse(
		readFileSync(
			join(import.meta.dirname, "..", "..", "..", "docs", "openapi.yaml"),
			"utf8",
		),
	) as { paths: Record<string, Record<string, unknown>> };
	const missing: string[] = [];
	for (const route of ROUTES) {
		if (!route.pattern.startsWith("/sigil/v1")) continue;
		const path = route.pattern.replace(/:(\w+)/g, "{$1}");
		if (!doc.paths[path]?.[route.method.toLowerCase()])
			missing.push(`${route.method} ${path}`);
	}
	assert.deepEqual(missing, []);
});
