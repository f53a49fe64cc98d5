/**
 * The hosting environment (`IHostEnvironment`): its name, the application
 * name and the content root that relative paths start from.
 *
 * @module
 */

/** ASP.NET Core's well-known environment names. */
export const Environments = { Development: "Development", Staging: "Staging", Production: "Production" } as const;

/** The host's environment (ASP.NET Core's `IHostEnvironment`): its name, the application name and the content root. */
export class HostEnvironment {
  /** `environmentName` as configured (e.g. `Production`); `contentRootPath` absolute. */
  constructor(
    readonly environmentName: string,
    readonly applicationName: string,
    readonly contentRootPath: string,
  ) {}

  /** True when the environment name is `name`, ignoring case. */
  isEnvironment(name: string): boolean {
    return this.environmentName.toLowerCase() === name.toLowerCase();
  }

  /** True in the `Development` environment. */
  isDevelopment(): boolean {
    return this.isEnvironment(Environments.Development);
  }

  /** True in the `Staging` environment. */
  isStaging(): boolean {
    return this.isEnvironment(Environments.Staging);
  }

  /** True in the `Production` environment. */
  isProduction(): boolean {
    return this.isEnvironment(Environments.Production);
  }
}
