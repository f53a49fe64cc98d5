/**
 * The host filtering middleware (ASP.NET Core's `HostFilteringMiddleware`):
 * answers 400 to a request whose Host (HTTP/1.x) or `:authority` (HTTP/2)
 * is not one of the allowed hosts, and passes the others on.
 *
 * @module
 */
import { type HttpContext, type Logger, type Middleware, nullLogger, type RequestDelegate } from "@x/abstractions";
import { HostMatcher } from "./host-matcher.js";
import { DEFAULT_HOST_FILTERING_OPTIONS, type HostFilteringOptions } from "./options.js";

/**
 * The body of a rejected request when `includeFailureMessage` is true:
 * ASP.NET Core's (and HTTP.sys's) "Bad Request - Invalid Hostname" page,
 * byte for byte. It is ASCII, so its length is its byte count.
 */
export const HOST_FILTERING_FAILURE_BODY: string =
  '<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 4.01//EN""http://www.w3.org/TR/html4/strict.dtd">\r\n' +
  "<HTML><HEAD><TITLE>Bad Request</TITLE>\r\n" +
  '<META HTTP-EQUIV="Content-Type" Content="text/html; charset=us-ascii"></HEAD>\r\n' +
  "<BODY><h2>Bad Request - Invalid Hostname</h2>\r\n" +
  "<hr><p>HTTP Error 400. The request hostname is invalid.</p>\r\n" +
  "</BODY></HTML>";

/** Longest host logged: the Host header is client input and is never logged unbounded. */
const MAX_LOGGED_HOST = 256;

/** Everything a request needs, built once per `update`; swapped as a whole so a request never sees half an update. */
interface Configuration {
  readonly matcher: HostMatcher;
  readonly allowEmptyHosts: boolean;
  readonly includeFailureMessage: boolean;
}

function configure(options: HostFilteringOptions, logger: Logger): Configuration {
  return {
    matcher: HostMatcher.create(options.allowedHosts ?? DEFAULT_HOST_FILTERING_OPTIONS.allowedHosts, logger),
    allowEmptyHosts: options.allowEmptyHosts ?? DEFAULT_HOST_FILTERING_OPTIONS.allowEmptyHosts,
    includeFailureMessage: options.includeFailureMessage ?? DEFAULT_HOST_FILTERING_OPTIONS.includeFailureMessage,
  };
}

function loggedHost(host: string): string {
  return host.length > MAX_LOGGED_HOST ? host.slice(0, MAX_LOGGED_HOST) : host;
}

/**
 * Rejects requests whose host is not allowed with 400, as ASP.NET Core's
 * `HostFilteringMiddleware` (the `AllowedHosts` setting). Put it first in the
 * pipeline, so nothing runs for a request with a foreign Host.
 *
 * - An empty host (HTTP/1.0 without Host, or `Host:` with no value) is allowed
 *   iff `allowEmptyHosts`.
 * - With an empty `allowedHosts`, or one holding `*`, any non-empty host is allowed.
 * - Otherwise the host, without its port, must equal an allowed name
 *   (case-insensitively) or be a subdomain of a `*.suffix` entry.
 * - A rejected request gets 400 with {@link HOST_FILTERING_FAILURE_BODY} as
 *   `text/html` (or an empty body when `includeFailureMessage` is false), and
 *   the rest of the pipeline does not run. The connection stays open: it is an
 *   ordinary application response.
 *
 * @example
 * const filter = new HostFilteringMiddleware({ allowedHosts: ["example.com", "*.example.com"] });
 * app.use(filter.invoke);
 * // later, on a configuration reload:
 * filter.update({ allowedHosts: ["example.org"] });
 */
export class HostFilteringMiddleware {
  readonly #logger: Logger;
  #configuration: Configuration;

  /**
   * Normalises the options at once: invalid entries are logged at warning
   * here, not per request.
   *
   * @param options the allowed hosts and switches; every field has ASP.NET Core's default.
   * @param logger receives warnings for invalid entries and, at debug, rejected requests.
   */
  constructor(options: HostFilteringOptions = {}, logger: Logger = nullLogger) {
    this.#logger = logger;
    this.#configuration = configure(options, logger);
  }

  /**
   * Replaces the options at run time (a configuration reload, ASP.NET Core's
   * `IOptionsMonitor` change): the new options are normalised now and apply
   * from the next request on, on open connections too. Requests already past
   * the check are not affected.
   */
  update(options: HostFilteringOptions): void {
    this.#configuration = configure(options ?? {}, this.#logger);
  }

  /** The middleware, bound to this instance: `app.use(filter.invoke)`. */
  readonly invoke: Middleware = (context: HttpContext, next: RequestDelegate): Promise<void> | void => {
    const configuration = this.#configuration;
    const host = context.request.host;
    if (host.length === 0) {
      // HTTP/1.0 does not require Host; HTTP/1.1 requires the header but allows an empty value.
      if (configuration.allowEmptyHosts) return next(context);
      if (this.#logger.isLevelEnabled("debug")) {
        this.#logger.debug(
          { traceIdentifier: context.traceIdentifier, protocol: context.request.protocol },
          `${context.request.protocol} request rejected due to missing or empty host header`,
        );
      }
      return reject(context, configuration);
    }
    if (configuration.matcher.isAllowed(host)) return next(context);
    if (this.#logger.isLevelEnabled("debug")) {
      const logged = loggedHost(host);
      this.#logger.debug({ traceIdentifier: context.traceIdentifier, host: logged }, `The host '${logged}' does not match an allowed host`);
    }
    return reject(context, configuration);
  };
}

/** ASP.NET Core's `HostValidationFailed`: 400, and the HTML page unless turned off. */
function reject(context: HttpContext, configuration: Configuration): Promise<void> | void {
  const response = context.response;
  response.statusCode = 400;
  if (!configuration.includeFailureMessage) {
    // As ASP.NET Core, nothing is written: the server completes the response with an empty body.
    response.contentLength = 0;
    return;
  }
  response.contentLength = HOST_FILTERING_FAILURE_BODY.length;
  response.contentType = "text/html";
  return response.end(HOST_FILTERING_FAILURE_BODY);
}

/**
 * Creates the host filtering middleware as a function, with `update` to
 * replace its options at run time. Same behaviour as
 * {@link HostFilteringMiddleware}.
 *
 * @example
 * const app = new ApplicationBuilder();
 * const filter = hostFiltering({ allowedHosts: parseAllowedHosts(process.env.ALLOWED_HOSTS) });
 * app.use(filter);
 * app.run((ctx) => ctx.response.end("Hello"));
 */
export function hostFiltering(
  options?: HostFilteringOptions,
  logger?: Logger,
): Middleware & { update(options: HostFilteringOptions): void } {
  const filter = new HostFilteringMiddleware(options, logger);
  const invoke = filter.invoke;
  const middleware: Middleware = (context, next) => invoke(context, next);
  return Object.assign(middleware, { update: (next: HostFilteringOptions) => filter.update(next) });
}
