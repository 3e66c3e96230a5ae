/**
 * Where the language templates live: the repository's `templates/` folder. Each
 * `templates/<lang>/function/` is the skeleton `sigil new` copies; anything beside it is what
 * the runtime runs around the user's code (the python3 watchdog script).
 */
import { join, resolve } from "node:path";

export const TEMPLATES_DIR = resolve(
	import.meta.dirname,
	"../../../../templates",
);

/** Languages `sigil new` can generate, each the runtime its functions deploy to. */
export const TEMPLATE_LANGS = ["python3", "node"] as const;
export type TemplateLang = (typeof TEMPLATE_LANGS)[number];

/** The skeleton folder of a language. */
export function skeletonDir(lang: TemplateLang): string {
	return join(TEMPLATES_DIR, lang, "function");
}

/** The python3 watchdog: imports the code folder's `handler.py`, calls `handle(req)`. */
export const PYTHON3_WATCHDOG = join(TEMPLATES_DIR, "python3", "index.py");
