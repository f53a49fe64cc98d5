/**
 * The hosting environment (`IHostEnvironment`): its name, the application
 * name and the content root that relative paths start from.
 *
 * @module
 */

/** ASP.NET Core's well-known environment names. */
export const Environments = { Development: "Development", Staging: "Staging", Production: "Production" } as const;

export class HostEnvironment {
  constructor(
    readonly environmentName: string,
    readonly applicationName: string,
    readonly contentRootPath: string,
  ) {}

  isEnvironment(name: string): boolean {
    return this.environmentName.toLowerCase() === name.toLowerCase();
  }

  isDevelopment(): boolean {
    return this.isEnvironment(Environments.Development);
  }

  isStaging(): boolean {
    return this.isEnvironment(Environments.Staging);
  }

  isProduction(): boolean {
    return this.isEnvironment(Environments.Production);
  }
}
