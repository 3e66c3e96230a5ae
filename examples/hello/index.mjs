// The smallest function: answers with a greeting and the query it was given. Through the Lambda
// Invoke API the event is the payload itself: `{"name": "Ada"}` greets Ada.
export const handler = async (event) => {
	if (!event?.requestContext?.http) return { hello: event?.name ?? "world" };
	return {
		statusCode: 200,
		headers: { "content-type": "application/json" },
		body: JSON.stringify({
			hello: event.queryStringParameters?.name ?? "world",
			path: event.rawPath,
		}),
	};
};
