/**
 * The few variables of the gateway's own environment a function may inherit: enough to find
 * programs and format text, nothing that could carry the gateway's credentials or config.
 */
const INHERITED = [
	"PATH",
	"HOME",
	"LANG",
	"LANGUAGE",
	"LC_ALL",
	"LC_CTYPE",
	"TZ",
	"TMPDIR",
] as const;

export function baseEnvironment(
	source: NodeJS.ProcessEnv = process.env,
): Record<string, string> {
	const env: Record<string, string> = {};
	for (const name of INHERITED) {
		const value = source[name];
		if (value !== undefined) env[name] = value;
	}
	return env;
}
