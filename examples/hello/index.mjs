// The smallest function: answers with a greeting and the query it was given.
export const handler = async (event) => ({
	statusCode: 200,
	headers: { "content-type": "application/json" },
	body: JSON.stringify({
		hello: event.queryStringParameters?.name ?? "world",
		path: event.rawPath,
	}),
});
