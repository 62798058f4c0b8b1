/* global __ENV, __VU, __ITER, open */
/**
 * What every k6 scenario script shares: the scenario and thresholds from load/scenarios.json,
 * and one iteration = one POST /v1/pcs/submit of a freshly signed record, every Nth iteration
 * resending the VU's previous record so the dedup path is exercised too.
 *
 *   k6 run -e FLK_URL=http://127.0.0.1:8080 load/k6/baseline.js
 *   FLK_LOAD_HMAC_KEY=...  the backend's PCS_HMAC_KEY (default: the key of scenarios.json)
 *   SOAK_DURATION=10m      shortens the soak
 */
import { check } from 'k6';
import crypto from 'k6/crypto';
import http from 'k6/http';
import { makeSigner, selfCheck } from './sign.js';

const config = JSON.parse(open('../scenarios.json'));
const template = JSON.parse(open('./record-template.json'));
const BASE_URL = __ENV.FLK_URL || 'http://127.0.0.1:8080';
const signer = makeSigner(crypto, template, __ENV.FLK_LOAD_HMAC_KEY || config.records.hmac_key);

export function optionsFor(name) {
  const scenario = {};
  for (const [field, value] of Object.entries(config.scenarios[name]))
    if (field !== 'description') scenario[field] = value;
  if (name === 'soak' && __ENV.SOAK_DURATION) scenario.duration = __ENV.SOAK_DURATION;
  return {
    scenarios: { [name]: scenario },
    thresholds: {
      http_req_duration: [`p(95)<${config.thresholds.p95_ms}`],
      http_req_failed: [`rate<${config.thresholds.error_rate}`],
      checks: [`rate>${1 - config.thresholds.error_rate}`],
    },
    summaryTrendStats: ['avg', 'med', 'p(95)', 'p(99)', 'max'],
  };
}

/** Refuses to send anything unless this k6 signs exactly as pcs/sign.ts does. */
export function setup() {
  selfCheck(crypto, template);
  return { run: Date.now().toString(36) };
}

let previous;

export function submit(data) {
  const every = config.records.duplicate_every;
  let body;
  if (previous !== undefined && __ITER % every === every - 1) {
    body = previous;
  } else {
    body = signer.sign(`k6-${data.run}-${__VU}-${__ITER}`, __ITER, new Date().toISOString()).body;
    previous = body;
  }
  const res = http.post(`${BASE_URL}/v1/pcs/submit`, body, {
    headers: { 'content-type': 'application/json' },
    tags: { name: 'submit' },
  });
  check(res, { 'answered 200 or 202': (r) => r.status === 200 || r.status === 202 });
}
