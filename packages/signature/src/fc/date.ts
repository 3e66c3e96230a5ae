const MONTHS = [
	"Jan",
	"Feb",
	"Mar",
	"Apr",
	"May",
	"Jun",
	"Jul",
	"Aug",
	"Sep",
	"Oct",
	"Nov",
	"Dec",
];
const RFC_1123 =
	/^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), (\d{2}) ([A-Z][a-z]{2}) (\d{4}) (\d{2}):(\d{2}):(\d{2}) GMT$/;

/**
 * Parse the `Date` header FC's legacy scheme requires: RFC 1123 in GMT
 * (`Mon, 02 Jan 2006 15:04:05 GMT`, what `toUTCString()` writes). Epoch ms or `undefined`.
 */
export function parseHttpDate(value: string): number | undefined {
	const m = RFC_1123.exec(value);
	if (m === null) return undefined;
	const month = MONTHS.indexOf(m[3] as string);
	if (month === -1) return undefined;
	const [d, y, h, mi, s] = [m[2], m[4], m[5], m[6], m[7]].map(Number) as [
		number,
		number,
		number,
		number,
		number,
	];
	const t = Date.UTC(y, month, d, h, mi, s);
	const back = new Date(t);
	if (
		back.getUTCDate() !== d ||
		back.getUTCMonth() !== month ||
		back.getUTCHours() !== h ||
		back.getUTCMinutes() !== mi ||
		back.getUTCSeconds() !== s
	) {
		return undefined;
	}
	return t;
}
