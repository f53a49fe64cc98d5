/**
 * The pages the module answers with when it cannot hand a request to the
 * app, after ANCM's: 502.5 (out-of-process startup failure), 502.3 (the app
 * did not answer within requestTimeout, or could not be reached), 500.30
 * (in-process startup failure) and 503 (too many failures in the last
 * minute). `disableStartUpErrorPage` turns the startup pages into a bare
 * status. The app's startup output is shown only when the app runs in the
 * Development environment (or with `ASPNETCORE_DETAILEDERRORS`): it often
 * holds stack traces, which must not reach clients otherwise.
 *
 * @module
 */
import type { HttpContext } from "@x/abstractions";

/** An ANCM error page: status code, title and explanation. */
export interface ErrorPage {
  readonly status: number;
  readonly title: string;
  readonly detail: string;
}

/** ANCM's error pages by situation, with their status codes and titles (502.5, 500.30, 503, ...). */
export const ERROR_PAGES = {
  outOfProcessStartupFailure: {
    status: 502,
    title: "HTTP Error 502.5 - ANCM Out-Of-Process Startup Failure",
    detail: "The application process failed to start, or did not listen on its port within startupTimeLimit.",
  },
  requestTimeout: {
    status: 502,
    title: "HTTP Error 502.3 - Bad Gateway",
    detail: "The application did not answer the request within requestTimeout, or could not be reached.",
  },
  inProcessStartupFailure: {
    status: 500,
    title: "HTTP Error 500.30 - ASP.NET Core app failed to start",
    detail: "The application's entry module failed to load or start in the front process.",
  },
  rapidFailLockout: {
    status: 503,
    title: "HTTP Error 503 - Service Unavailable",
    detail: "The application failed too often in the last minute (rapidFailsPerMinute); it will be started again later.",
  },
} as const satisfies Record<string, ErrorPage>;

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** The HTML of an error page; `output` is shown when given (Development only). */
export function renderErrorPage(page: ErrorPage, output?: string): string {
  const details =
    output === undefined
      ? "<p>Check the front process's log (and the stdout log, when stdoutLogEnabled is set) for the cause.</p>"
      : `<h2>Application output</h2>\n<pre>${escapeHtml(output)}</pre>`;
  return `<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>${escapeHtml(page.title)}</title></head>
<body>
<h1>${escapeHtml(page.title)}</h1>
<p>${escapeHtml(page.detail)}</p>
${details}
</body>
</html>
`;
}

/**
 * Answers `page`, or just its status when `bare` (disableStartUpErrorPage).
 * Does nothing once the response has started.
 */
export async function sendErrorPage(context: HttpContext, page: ErrorPage, options: { bare?: boolean; output?: string } = {}): Promise<void> {
  const { response } = context;
  if (response.hasStarted) {
    context.abort();
    return;
  }
  response.statusCode = page.status;
  response.headers.set("cache-control", "no-cache, no-store");
  if (options.bare === true) {
    response.contentLength = 0;
    await response.end();
    return;
  }
  response.contentType = "text/html; charset=utf-8";
  await response.end(renderErrorPage(page, options.output));
}

/** Whether the app's environment asks for detailed errors (its startup output on the page). */
export function showsDetailedErrors(environment: Readonly<Record<string, string>>, fallback: NodeJS.ProcessEnv = process.env): boolean {
  const get = (name: string) => environment[name] ?? fallback[name];
  const env = get("ASPNETCORE_ENVIRONMENT") ?? get("DOTNET_ENVIRONMENT");
  const detailed = get("ASPNETCORE_DETAILEDERRORS");
  return env?.toLowerCase() === "development" || detailed === "1" || detailed?.toLowerCase() === "true";
}
