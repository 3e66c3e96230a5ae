/**
 * Where the language templates live: the repository's `templates/` folder. Each
 * `templates/<lang>/function/` is the skeleton `sigil new` copies (the runtime that runs it
 * around the user's code is in `runtime/`, e.g. the warm Python host `python-host.py`).
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
