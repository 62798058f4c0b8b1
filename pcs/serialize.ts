/**
 * `recordToJson`: the record as the JSON an agent POSTs, under the name the integration tests
 * and load scripts import. It is {@link formatRecord} (pcs/record.ts), kept as one
 * implementation: besides writing the bigint epoch exactly, it writes a negative zero as `-0.0`,
 * which JSON.stringify would write as `0` and so change the canonical payload and break the
 * signature.
 */
export { formatRecord as recordToJson } from './record.ts';
