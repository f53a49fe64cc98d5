/**
 * `requestTimeout`: an IIS time span `hh:mm:ss`.
 *
 * @module
 */
import { attributeError, quote } from "./errors.js";

/** ANCM's limit for `requestTimeout` (the schema's `timeSpanRange` 0 to 1,296,000 seconds). */
export const MAX_REQUEST_TIMEOUT_SECONDS = 360 * 3600;

const TIME_SPAN = /^(\d+):(\d{1,2}):(\d{1,2})$/;

/**
 * Parses an ANCM time span (`requestTimeout`) into milliseconds.
 *
 * The form is `hh:mm:ss` (ANCM 2.1 and later; the older plain-minutes form is
 * not accepted): hours 0 to 360, minutes and seconds 0 to 59 (ANCM answers 500
 * for a 60), at most `360:00:00` in all. Single digits (`1:2:3`) and
 * surrounding whitespace are accepted; days (`d.hh:mm:ss`), fractions of a
 * second and signs are not.
 *
 * @param attribute the attribute name for the error (`requestTimeout`)
 * @param source the file for the error message
 * @throws {AncmSettingsError} for anything else
 */
export function parseRequestTimeout(value: string, attribute: string, source: string): number {
  const m = TIME_SPAN.exec(value.trim());
  if (m === null) {
    throw attributeError(source, attribute, `${quote(value)} is not a time span of the form hh:mm:ss (00:00:00 to 360:00:00)`);
  }
  const hours = Number(m[1]);
  const minutes = Number(m[2]);
  const seconds = Number(m[3]);
  if (minutes > 59 || seconds > 59) {
    throw attributeError(source, attribute, `${quote(value)} is not a valid time span: minutes and seconds must be 0 to 59`);
  }
  const total = hours * 3600 + minutes * 60 + seconds;
  if (total > MAX_REQUEST_TIMEOUT_SECONDS) {
    throw attributeError(source, attribute, `${quote(value)} is out of range (00:00:00 to 360:00:00)`);
  }
  return total * 1000;
}
