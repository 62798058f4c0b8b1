/**
 * promtool unit tests of every alert, as data: input series, a time at which the alert must
 * not fire yet, a time at which it fires with exactly these labels, and a time at which it has
 * resolved. alerts/promtool-tests.ts turns them into alerts/tests/flk-rules.test.yaml
 * (annotations are filled in from the rules, so a changed text needs no edit here).
 */
import { OPERATOR_CASES } from './operator-cases.ts';
import { SERVING_CASES } from './serving-cases.ts';
import { STORAGE_CASES } from './storage-cases.ts';
import { TLS_CASES } from './tls-cases.ts';

export type { AlertCase } from './series.ts';

export const ALERT_CASES = [...SERVING_CASES, ...STORAGE_CASES, ...TLS_CASES, ...OPERATOR_CASES];
