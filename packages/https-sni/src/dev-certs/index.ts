/**
 * The development certificate (what `dotnet dev-certs https` manages): a
 * self-signed certificate for localhost, 127.0.0.1 and ::1, kept in
 * `~/.x/dev-certs/https` (or `$X_DEV_CERTS_HOME`), and the `x-dev-certs`
 * command around it.
 *
 * @module
 */
export { checkDevelopmentCertificate, DEVELOPMENT_CERTIFICATE_HOST, DEVELOPMENT_CERTIFICATE_IPS, findDevelopmentCertificate } from "./check.js";
export type { DevelopmentCertificateCheck, DevelopmentCertificateStatus, UnusableDevelopmentCertificate, ValidDevelopmentCertificate } from "./check.js";
export { cleanDevelopmentCertificate } from "./clean.js";
export { createDevelopmentCertificate } from "./create.js";
export type { CreateDevelopmentCertificateOptions, CreatedDevelopmentCertificate } from "./create.js";
export { exportDevelopmentCertificate } from "./export.js";
export type { DevelopmentCertificateFormat, ExportDevelopmentCertificateOptions, ExportedDevelopmentCertificate } from "./export.js";
export { DEVELOPMENT_CERTIFICATE_FILE, DEVELOPMENT_KEY_FILE, developmentCertificateDirectory, developmentCertificatePaths } from "./paths.js";
export type { DevelopmentCertificatePaths } from "./paths.js";
